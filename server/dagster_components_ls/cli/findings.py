"""What `check` found: one problem in one file, with what its fixes need, and how a path is shown."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from ..checks.fixes import Fix, fixes_for
from ..model.context import CheckContext
from ..model.documents import ParsedFile
from ..model.positions import LineIndex
from ..model.problems import Problem


@dataclass(frozen=True)
class Finding:
    path: Path
    problem: Problem
    index: LineIndex
    source: Optional[tuple[ParsedFile, CheckContext]] = field(default=None, compare=False, repr=False)
    """The file as checked and its context, for the formats that carry fixes (None: no fix is offered)."""

    def fixes(self) -> list[Fix]:
        """The quick fixes the editor offers for this problem that change the YAML (not the ignore comment)."""
        if self.source is None:
            return []
        parsed, ctx = self.source
        return [fix for fix in fixes_for(parsed, self.problem, ctx, suppress=False) if fix.edits]


def display_path(path: Path) -> str:
    """Relative to the current folder when the file is under it, else absolute."""
    try:
        return os.path.relpath(path) if path.is_relative_to(Path.cwd()) else str(path)
    except ValueError:
        return str(path)
