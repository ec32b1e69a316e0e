"""Paths written in defs.yaml: which values are paths, and the files they may point to (no I/O)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Optional

from . import templates
from .documents import SCALAR, Node, YamlDocument
from .positions import Span

if TYPE_CHECKING:
    from .context import CheckContext

# Keys whose string values are paths on disk, relative to the defs.yaml's folder unless absolute.
# Component schemas do not mark paths, so this is a list of the names Dagster's components and
# platform components use (`script`, `notebook`, dbt's `project`/`project_dir`, `path`).
PATH_KEYS = frozenset({"script", "notebook", "path", "project", "project_dir", "sql_template"})
_PROJECT_ROOT = re.compile(r"^\{\{\s*(?:context\s*\.\s*)?project_root\s*\}\}")


def path_values(node: Node, top: bool = True) -> Iterator[tuple[str, Node]]:
    """(key, value) of every path-like key, at any depth (`template_vars_module` only at the top)."""
    for key, value in node.pairs:
        if key.text in PATH_KEYS or (top and key.text == "template_vars_module"):
            yield str(key.text), value
        if value.span.start >= key.span.end:  # not an alias of an earlier node
            yield from path_values(value, top=False)
    for item in node.items:
        yield from path_values(item, top=False)


def path_targets(key: str, value: Node, ctx: CheckContext) -> Optional[list[Path]]:
    """The files a path value may name, most likely first; None when it cannot be judged statically
    (not a plain string, another template, a URL, an SQL string rather than a file)."""
    if value.kind != SCALAR or value.style in ("|", ">") or not value.tag.endswith(":str"):
        return None
    text = (value.text or "").strip()
    if not text:
        return None
    if key == "template_vars_module":
        return module_files(text, ctx) or None
    if key == "sql_template" and not text.endswith(".sql"):
        return None
    path = resolve_path(text, ctx)
    return [path] if path is not None else None


def resolve_path(text: str, ctx: CheckContext) -> Optional[Path]:
    if not text or "\n" in text or "://" in text:
        return None
    match = _PROJECT_ROOT.match(text)
    if match is not None:
        if not ctx.project_root:
            return None
        text = ctx.project_root + "/" + text[match.end() :].lstrip("/")
    if templates.has_template(text):
        return None
    path = Path(text)
    if not path.is_absolute():
        if not ctx.folder:
            return None
        path = Path(ctx.folder, path)
    return Path(os.path.normpath(path))


def module_files(module: str, ctx: CheckContext) -> list[Path]:
    """Where a module named in defs.yaml may live, most likely first (no I/O).

    `.x` is relative to the file's folder (`..x` to its parent), as Dagster imports it; an absolute
    module is looked up under the project root's `src/` and the root itself, like project.module_path.
    """
    dots = len(module) - len(module.lstrip("."))
    parts = [p for p in module[dots:].split(".") if p]
    if dots:
        if not ctx.folder:
            return []
        base = Path(ctx.folder)
        for _ in range(dots - 1):
            base = base.parent
        bases = [base]
    elif ctx.project_root and parts:
        bases = [Path(ctx.project_root, "src"), Path(ctx.project_root)]
    else:
        return []
    out = []
    for base in bases:
        target = base.joinpath(*parts)
        if parts:
            out.append(target.with_name(target.name + ".py"))
        out.append(target / "__init__.py")
    return out


def unquoted_span(doc: YamlDocument, node: Node) -> Span:
    source = doc.text[node.span.start : node.span.end]
    if node.style in ("'", '"') and len(source) >= 2 and source[1:-1] == node.text:
        return Span(node.span.start + 1, node.span.end - 1)
    return node.span
