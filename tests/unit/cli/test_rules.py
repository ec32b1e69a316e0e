"""The rules the report formats describe are the codes docs/reference/diagnostics.md documents."""

import re
from pathlib import Path

from dagster_components_ls.cli.rules import RULES, rule_for

DOCS = Path(__file__).resolve().parents[3] / "docs" / "reference" / "diagnostics.md"
ROW = re.compile(r"^\| `(?P<code>[a-z:<>-]+)` \| (?P<severity>[^|]+) \| (?P<when>[^|]+) \|")


def _documented() -> dict[str, tuple[str, str]]:
    """Code -> (default severity, when); a severity with a parenthesis (`warning (error for ...)`) has it
    at the end of the rule's text."""
    rows = (ROW.match(line) for line in DOCS.read_text(encoding="utf-8").splitlines())
    out = {}
    for m in filter(None, rows):
        severity, _, other = m["severity"].strip().partition(" (")
        out[m["code"]] = (severity, m["when"].strip() + (f" ({other}" if other else ""))
    return out


def test_every_documented_code_is_a_rule_with_its_severity_and_text():
    documented = {code: row for code, row in _documented().items() if code != "policy:<rule>"}
    ours = {rule.code: (rule.severity, rule.when) for rule in RULES if rule.code in documented}
    assert ours == documented


def test_a_policy_code_gets_a_rule_of_its_own():
    rule = rule_for("policy:acme-naming")
    assert (rule.code, rule.severity, rule.title) == ("policy:acme-naming", "error", "Policy acme-naming")
