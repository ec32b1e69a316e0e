"""SARIF and GitLab output for findings built by hand: files outside the current folder, UTF-16 columns, equal problems."""

import io
import json
from pathlib import Path

from dagster_components_ls.cli.ci_formats import fingerprints, format_gitlab, format_sarif
from dagster_components_ls.cli.findings import Finding
from dagster_components_ls.model.positions import LineIndex, Span
from dagster_components_ls.model.problems import Problem

TEXT = 'type: x\nattributes:\n  name: "🦆🦆"\n  nmae: a\n  nmae: b\n'


def finding(path: Path, needle: str, message: str = "Unknown attribute 'nmae'", nth: int = 0) -> Finding:
    start = -1
    for _ in range(nth + 1):
        start = TEXT.index(needle, start + 1)
    return Finding(path, Problem(Span(start, start + len(needle)), "unknown-attribute", message), LineIndex(TEXT))


def sarif(findings: list[Finding]) -> dict:
    out = io.StringIO()
    format_sarif(findings, 1, out)
    return json.loads(out.getvalue())["runs"][0]


def test_a_file_outside_the_current_folder_is_an_absolute_uri_and_columns_count_utf16_units(tmp_path):
    path = tmp_path / "defs.yaml"
    after_ducks = TEXT.index('"', TEXT.index("🦆"))  # the closing quote: two ducks, four UTF-16 units in
    f = Finding(path, Problem(Span(after_ducks, after_ducks + 1), "invalid-value", "x"), LineIndex(TEXT))
    location = sarif([f])["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": path.as_uri()}
    assert location["region"] == {
        "startLine": 3,
        "startColumn": 14,  # `  name: "` is 9 units, the ducks 4: column 14, 1-based
        "endLine": 3,
        "endColumn": 15,
        "snippet": {"text": '"'},
    }


def test_equal_problems_in_one_file_get_different_fingerprints_and_keep_them_when_lines_move(tmp_path):
    path = Path("defs.yaml")
    first, second = finding(path, "nmae"), finding(path, "nmae", nth=1)
    assert len(set(fingerprints([first, second]))) == 2
    moved = Finding(path, first.problem.shifted(0), LineIndex("\n" + TEXT))
    assert fingerprints([moved, second]) == fingerprints([first, second])
    out = io.StringIO()
    format_gitlab([first, second], 1, out)
    assert [(e["location"]["lines"], e["severity"]) for e in json.loads(out.getvalue())] == [
        ({"begin": 4, "end": 4}, "major"),
        ({"begin": 5, "end": 5}, "major"),
    ]


def test_no_findings_give_empty_results_and_every_documented_rule():
    run = sarif([])
    assert run["results"] == []
    assert [r["id"] for r in run["tool"]["driver"]["rules"]][:3] == ["yaml-syntax", "unknown-type", "type-import-error"]
    assert len(run["tool"]["driver"]["rules"]) == 18
