"""Signatures as templates call them: of `@template_var` UDFs read from Python source (ast, never imported),
and of Python callables (inspect), as parameter texts such as `key: str = 'x'`."""

from __future__ import annotations

import ast
import functools
import inspect
import re
from dataclasses import dataclass
from typing import Any, Callable, Optional, Union

_FunctionNode = Union[ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda]


@dataclass(frozen=True)
class Signature:
    parameters: tuple[str, ...]
    """Each parameter as written: `name`, `name: type = default`, `*args`, `**kwargs`."""
    documentation: str = ""


def parameter_name(text: str) -> str:
    """`*args: int = 1` -> `args`."""
    return re.split(r"[:=\s]", text.lstrip("*"), maxsplit=1)[0]


@functools.lru_cache(maxsize=64)
def template_var_signatures(source: str) -> dict[str, Signature]:
    """What each `@template_var` of a module (or class) gives templates to call, by name.

    Dagster calls a template var with nothing or the load context and templates see its result, so
    `{{ table_name('a') }}` calls what it returns: a `lambda`, or a function it defines and returns (a
    "UDF"). Template vars returning anything else are absent: their signature cannot be read."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError):
        return {}
    out: dict[str, Signature] = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
            map(_is_template_var, node.decorator_list)
        ):
            returned = _returned_function(node)
            if returned is not None:
                doc = ast.get_docstring(returned) if not isinstance(returned, ast.Lambda) else None
                out[node.name] = Signature(_ast_parameters(returned.args), doc or ast.get_docstring(node) or "")
    return out


def _is_template_var(decorator: ast.expr) -> bool:
    """`@template_var`, `@dg.template_var`, `@dagster.template_var`, with or without a call."""
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return (isinstance(target, ast.Name) and target.id == "template_var") or (
        isinstance(target, ast.Attribute) and target.attr == "template_var"
    )


def _returned_function(node: Union[ast.FunctionDef, ast.AsyncFunctionDef]) -> Optional[_FunctionNode]:
    nested = {n.name: n for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    for statement in node.body:
        if isinstance(statement, ast.Return) and statement.value is not None:
            if isinstance(statement.value, ast.Lambda):
                return statement.value
            if isinstance(statement.value, ast.Name) and statement.value.id in nested:
                return nested[statement.value.id]
    return None


def _ast_parameters(args: ast.arguments) -> tuple[str, ...]:
    positional = [*args.posonlyargs, *args.args]
    defaults: list[Optional[ast.expr]] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    out = [_ast_parameter(a, d) for a, d in zip(positional, defaults)]
    if args.vararg is not None:
        out.append("*" + _ast_parameter(args.vararg, None))
    out += [_ast_parameter(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults)]
    if args.kwarg is not None:
        out.append("**" + _ast_parameter(args.kwarg, None))
    return tuple(out)


def _ast_parameter(arg: ast.arg, default: Optional[ast.expr]) -> str:
    """PEP 8's way: `name=default` bare, `name: type = default` annotated."""
    if arg.annotation is None:
        return arg.arg + (f"={ast.unparse(default)}" if default is not None else "")
    return f"{arg.arg}: {ast.unparse(arg.annotation)}" + (f" = {ast.unparse(default)}" if default is not None else "")


def callable_signature(value: Callable[..., Any], skip_first: bool = False) -> Optional[Signature]:
    """A Python callable's parameters (the first dropped when the caller passes it, as Jinja passes a
    filter's environment), and its docstring; None when Python cannot tell (builtins such as `range`)."""
    try:
        parameters = list(inspect.signature(value).parameters.values())
    except (TypeError, ValueError):
        return None
    return Signature(tuple(map(parameter_text, parameters[1 if skip_first else 0 :])), inspect.getdoc(value) or "")


def parameter_text(parameter: inspect.Parameter) -> str:
    """As written: `value: V`, `default_value: V = ''`, `*args`; no quotes around string annotations."""
    stars: dict[inspect._ParameterKind, str] = {
        inspect.Parameter.VAR_POSITIONAL: "*",
        inspect.Parameter.VAR_KEYWORD: "**",
    }
    text = stars.get(parameter.kind, "") + parameter.name
    if parameter.annotation is not inspect.Parameter.empty:
        annotation = parameter.annotation
        shown = str(annotation if isinstance(annotation, str) else inspect.formatannotation(annotation))
        text += ": " + shown.replace("typing.", "").replace("~", "").replace("NoneType", "None")
    if parameter.default is not inspect.Parameter.empty:
        equals = " = " if parameter.annotation is not inspect.Parameter.empty else "="  # PEP 8's spacing
        text += equals + ("..." if parameter.default is Ellipsis else repr(parameter.default))
    return text
