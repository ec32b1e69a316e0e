"""Code actions: the fixes of the diagnostics a client sends back, as LSP quick fixes."""

from __future__ import annotations

from typing import Any, Optional, Sequence

from lsprotocol import types

from ..checks.diagnostics import diagnose
from ..checks.fixes import fixes_for
from ..model.context import CheckContext
from ..model.documents import ParsedFile
from ..model.positions import LineIndex, Span
from ..model.problems import Problem
from ..model.yaml_edits import Edit
from .lsp_ranges import lsp_range


def code_actions(
    parsed: ParsedFile, diagnostics: list[types.Diagnostic], ctx: CheckContext, index: LineIndex, uri: str
) -> list[types.CodeAction]:
    """Quick fixes for the diagnostics a client sends back (their `data` arrives as a plain dict)."""
    actions: dict[tuple[str, tuple[Edit, ...]], types.CodeAction] = {}
    for diagnostic in diagnostics:
        problem = _problem_of(parsed, diagnostic, ctx, index)
        if problem is None:
            continue
        for fix in fixes_for(parsed, problem, ctx):
            same = actions.get((fix.title, fix.edits))
            if same is not None:  # one env var used twice: one action for both diagnostics
                same.diagnostics = [*(same.diagnostics or ()), diagnostic]
                continue
            edits = [types.TextEdit(range=lsp_range(index, span), new_text=text) for span, text in fix.edits]
            actions[(fix.title, fix.edits)] = types.CodeAction(
                title=fix.title,
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[diagnostic],
                is_preferred=True if fix.is_preferred else None,
                edit=types.WorkspaceEdit(changes={uri: edits}),
            )
    return list(actions.values())


def _problem_of(
    parsed: ParsedFile, diagnostic: types.Diagnostic, ctx: CheckContext, index: LineIndex
) -> Optional[Problem]:
    """A client's Diagnostic as a Problem. Clients that drop `data` get it back from our own diagnosis."""
    if diagnostic.source != "dagster" or diagnostic.code in (None, ""):
        return None  # VS Code passes every extension's diagnostics in range
    span = Span(index.offset_at(diagnostic.range.start), index.offset_at(diagnostic.range.end))
    code = str(diagnostic.code)
    data = diagnostic.data if isinstance(diagnostic.data, dict) else None
    if data is None:
        data = next((p.data for p in diagnose(parsed, ctx) if p.code == code and p.span == span), None)
    return Problem(span, code, diagnostic.message or "", data=data)


def of_kinds(actions: list[types.CodeAction], only: Optional[Sequence[str]]) -> list[types.CodeAction]:
    """The actions the client asked for (`context.only`): a kind matches itself and its sub-kinds
    (`refactor` covers `refactor.rewrite`). VS Code drops, with a warning, actions of other kinds."""
    if not only:
        return actions
    wanted = [getattr(k, "value", k) for k in only]  # CodeActionKind members or plain strings

    def matches(kind: Any) -> bool:
        kind = getattr(kind, "value", kind)
        return isinstance(kind, str) and any(kind == k or kind.startswith(f"{k}.") for k in wanted)

    return [a for a in actions if matches(a.kind)]
