"""Schema regexes (`pattern`, `patternProperties`) run in linear time: RE2, never Python's backtracking `re`.

A component's pydantic model brings its own patterns (`Field(pattern=...)`), and `^(a+)+$` takes
Python's `re` minutes on a short value; RE2 answers in one pass. A pattern RE2 cannot run (lookarounds,
backreferences, which pydantic's python-re engine allows) judges nothing: no error is better than a
blocked server.
"""

from __future__ import annotations

import functools
from typing import Any, Optional


def search(pattern: str, text: str) -> Optional[bool]:
    """Whether the pattern matches somewhere in the text; None when RE2 cannot run it."""
    compiled = _compiled(pattern)
    return None if compiled is None else compiled.search(text) is not None


@functools.lru_cache(maxsize=1024)
def _compiled(pattern: str) -> Optional[Any]:
    try:
        import re2  # google-re2: on first use, as only schemas with patterns need it
    except ImportError:  # pragma: no cover - a declared dependency; without it patterns judge nothing
        return None
    options = re2.Options()
    options.log_errors = False  # an unsupported pattern is expected, not an error to print on stderr
    try:
        return re2.compile(pattern, options)
    except (re2.error, TypeError, ValueError):
        return None
