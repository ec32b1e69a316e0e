"""The file context the checks and features read besides the text (CheckContext), and type lookups in it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Optional, Protocol

from .vocabulary import DEFAULT_FILE_NAME

if TYPE_CHECKING:
    from .documents import YamlDocument
    from .registry import ComponentType, Registry


class PolicyRules(Protocol):
    """What the context knows of the project's policies (checks.policies.PolicyConfig is the one kind)."""

    @property
    def has_document_rules(self) -> bool: ...


@dataclass(frozen=True, eq=False)
class CheckContext:
    """What the checks know besides the text. Compared by identity, so keep one per file and registry."""

    registry: Optional[Registry]
    """None until the first registry is ready: then nothing about types or schemas is reported."""
    file_name: str = DEFAULT_FILE_NAME
    folder: Optional[str] = None
    """The file's folder (absolute), to find a relative `template_vars_module`."""
    folder_module: Optional[str] = None
    """The full module of the file's folder (`acme_analytics.defs.reports`), for relative `.X` types."""
    project_root: Optional[str] = None
    """The dg project's root folder (what `{{ context.project_root }}` renders to), None outside one."""
    exists: Callable[[Path], bool] = os.path.exists
    """Whether a path exists (the one file-system question the checks ask; tests answer it themselves)."""
    policies: Optional[PolicyRules] = None
    """The project's `[tool.dagster-components-ls.policies]` (a checks.policies.PolicyConfig); None outside a project."""


def resolve_typename(typename: str, ctx: CheckContext) -> Optional[str]:
    """The absolute typename: a leading `.` is relative to the file's folder module."""
    if typename.startswith("."):
        return f"{ctx.folder_module}{typename}" if ctx.folder_module else None
    return typename


def resolve_type(typename: str, ctx: CheckContext) -> Optional[ComponentType]:
    absolute = resolve_typename(typename, ctx)
    if absolute is None or ctx.registry is None:
        return None
    return ctx.registry.lookup(absolute)


def component_of(doc: YamlDocument, ctx: CheckContext) -> Optional[ComponentType]:
    """The component type a document's `type:` names, when the registry knows it."""
    typename = doc.value.get("type") if isinstance(doc.value, dict) else None
    return resolve_type(typename.strip(), ctx) if isinstance(typename, str) else None


def rank_typenames(typename: str, known: list[str], limit: int = 3) -> list[str]:
    """Best did-you-mean candidates: the same class name elsewhere first, then by similarity."""
    from rapidfuzz import fuzz, process  # on first use: it costs start-up time before the first completion

    class_name = typename.rsplit(".", 1)[-1]
    same_class = [k for k in known if k.rsplit(".", 1)[-1] == class_name and k != typename]
    scored = process.extract(typename, known, scorer=fuzz.ratio, limit=limit + len(same_class), score_cutoff=70)
    ranked = sorted(same_class, key=len) + [name for name, _, _ in scored if name not in same_class]
    return ranked[:limit]


def suggest(word: str, choices: tuple[str, ...] | list[str]) -> Optional[str]:
    """The closest choice to a misspelt word, if one is close enough."""
    from rapidfuzz import fuzz, process  # on first use, as in rank_typenames

    found = process.extractOne(word, list(choices), scorer=fuzz.ratio, score_cutoff=60)
    return found[0] if found else None
