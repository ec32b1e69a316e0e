"""Scenario tests reuse the end-to-end helpers (tests/e2e/e2e_support.py) and add their own in scenario_support.py."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
