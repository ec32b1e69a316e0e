"""Problems before position conversion: their severities, and the comments that suppress them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Optional

from .positions import LineIndex, Span

ERROR, WARNING, INFORMATION, HINT = "error", "warning", "information", "hint"
SOURCE = "dagster"

SUPPRESSION_PATTERN = re.compile(r"#\s*dagster-components-ls:\s*ignore(?:\[(?P<codes>[^\]]*)\])?\s*$")
"""`# dagster-components-ls: ignore[code, prefix:]` at the end of a line, or alone on the line above."""


@dataclass(frozen=True)
class Problem:
    """A diagnostic before position conversion: offsets are code points into the file."""

    span: Span
    code: str
    message: str
    severity: str = ERROR
    data: Optional[dict[str, Any]] = None

    def shifted(self, delta: int) -> Problem:
        return Problem(self.span.shifted(delta), self.code, self.message, self.severity, self.data)


def without_suppressed(text: str, problems: list[Problem]) -> list[Problem]:
    """Drop problems on lines marked `# dagster-components-ls: ignore[codes]` (or on the line below such a comment alone)."""
    if "dagster-components-ls:" not in text:
        return problems
    lines = text.split("\n")
    rules: dict[int, Optional[set[str]]] = {}
    for number, line in enumerate(lines):
        match = SUPPRESSION_PATTERN.search(line)
        if match is None:
            continue
        codes = {c.strip() for c in match.group("codes").split(",") if c.strip()} if match.group("codes") else None
        target = number + 1 if line.lstrip().startswith("#") else number
        rules[target] = codes
    if not rules:
        return problems
    index = LineIndex(text)
    kept = []
    for problem in problems:
        at = index.line_of(problem.span.start)
        codes = rules.get(at)
        if at not in rules or (codes is not None and not any(_code_matches(problem.code, c) for c in codes)):
            kept.append(problem)
    return kept


def _code_matches(code: str, pattern: str) -> bool:
    return code == pattern or (pattern.endswith(":") and code.startswith(pattern))
