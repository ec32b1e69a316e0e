"""Inlay hints: after each `{{ }}` value, what Dagster renders it to (from the worker's `render` answer)."""

from __future__ import annotations

import re
from typing import Any, Optional

from lsprotocol import types

from ..model.documents import ParsedFile
from ..model.positions import LineIndex
from .rendering import Rendered, rendered_values, unrendered_documents

MAX_LABEL_CHARS = 40
# A value that is one environment variable and nothing else: `{{ env.X }}`, `{{ env('X') }}`, `{{ env("X", "d") }}`.
_ENV_ONLY = re.compile(r"""^\{\{-?\s*env\s*(?:\.\s*\w+|\(\s*['"]\w+['"]\s*(?:,[^{}]*)?\))\s*-?\}\}$""")


def inlay_hints(
    parsed: ParsedFile, index: LineIndex, answer: dict[str, Any], show_env_values: bool, within: Optional[types.Range]
) -> list[types.InlayHint]:
    """One hint at the end of each rendered value (inside `within` when given)."""
    lines = (within.start.line, within.end.line) if within is not None else None
    hints = []
    for span, reason in unrendered_documents(parsed, answer):
        _, (line, character) = index.range_of(span)
        if lines is None or lines[0] <= line <= lines[1]:
            label = "⚠ not rendered: " + shortened(reason)
            hints.append(types.InlayHint(types.Position(line, character), label, padding_left=True, tooltip=reason))
    for rendered in rendered_values(parsed, answer):
        _, (line, character) = index.range_of(rendered.span)
        if lines is not None and not lines[0] <= line <= lines[1]:
            continue
        label, tooltip = hint_text(rendered, parsed.text, show_env_values)
        hints.append(
            types.InlayHint(
                position=types.Position(line=line, character=character),
                label=label,
                padding_left=True,
                tooltip=tooltip,
            )
        )
    return sorted(hints, key=lambda h: (h.position.line, h.position.character))


def hint_text(rendered: Rendered, text: str, show_env_values: bool) -> tuple[str, Optional[str]]:
    """(label, tooltip) of one value: its rendering, `X: set` / `X: unset` for an environment variable
    (never its value unless asked), what a template raised, or that it is rendered at run time."""
    value = rendered.value
    if value.get("runtime"):
        return "at run time", "Rendered by the component when it builds each asset (with names of its own), not at load"
    if isinstance(value.get("error"), str):
        return "⚠ " + shortened(value["error"]), value["error"]
    env = [e for e in value.get("env") or () if isinstance(e, dict)]
    source = text[rendered.span.start : rendered.span.end].strip().strip("'\"").strip()
    unset_without_default = [e["name"] for e in env if not e.get("set") and not e.get("default")]
    warning = "⚠ not set and no default: Dagster renders None" if unset_without_default else None
    if env and _ENV_ONLY.match(source) and not (show_env_values and env[0].get("set")):
        name = env[0]["name"]
        state = "set" if env[0].get("set") else "unset"
        return f"{name}: {state}", warning
    shown = value.get("text")
    full = "null" if shown is None else str(shown)
    label = "→ " + shortened(full)
    tooltip = full if len(label) - 2 < len(full) else None
    if env:
        states = ", ".join(f"{e['name']} {'set' if e.get('set') else 'unset'}" for e in env)
        tooltip = "\n\n".join(t for t in (tooltip, f"Environment: {states}", warning) if t)
    return label, tooltip


def shortened(text: str) -> str:
    """One line of at most MAX_LABEL_CHARS characters, the middle left out (a path keeps its end)."""
    flat = " ".join(text.split())
    if len(flat) <= MAX_LABEL_CHARS:
        return flat
    head = MAX_LABEL_CHARS // 2 - 1
    return flat[:head] + "…" + flat[-(MAX_LABEL_CHARS - head - 1) :]
