"""`check --format sarif|gitlab`: SARIF 2.1.0 for GitHub code scanning, GitLab Code Quality JSON."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote

from .. import __version__
from ..model.positions import Span
from .findings import Finding, display_path
from .rules import RULES, help_uri, rule_for

TOOL_URI = "https://github.com/dagster-components-ls/dagster-components-ls"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
_SARIF_LEVEL = {"error": "error", "warning": "warning", "information": "note", "hint": "note"}
_GITLAB_SEVERITY = {"error": "major", "warning": "minor", "information": "info", "hint": "info"}


def fingerprints(findings: list[Finding]) -> list[str]:
    """A hash per finding of its code, path and message (and its rank among equal ones), never its line:
    the same problem keeps its fingerprint when lines above it move, so a merge request shows it as old."""
    seen: dict[tuple[str, str, str], int] = {}
    out = []
    for f in findings:
        key = (f.problem.code, display_path(f.path), f.problem.message)
        seen[key] = seen.get(key, 0) + 1
        out.append(hashlib.sha256("\0".join([*key, str(seen[key])]).encode("utf-8")).hexdigest())
    return out


# --- GitLab Code Quality ---------------------------------------------------------------------------


def format_gitlab(findings: list[Finding], checked: int, out: TextIO) -> None:
    """GitLab Code Quality: `[{description, check_name, fingerprint, severity, location: {path, lines}}]`."""
    entries = []
    for f, fingerprint in zip(findings, fingerprints(findings)):
        (start, _), (end, _) = f.index.range_of(f.problem.span)
        entries.append(
            {
                "description": f"[{f.problem.code}] {f.problem.message}",
                "check_name": f.problem.code,
                "fingerprint": fingerprint,
                "severity": _GITLAB_SEVERITY[f.problem.severity],
                "location": {"path": display_path(f.path), "lines": {"begin": start + 1, "end": end + 1}},
            }
        )
    json.dump(entries, out, indent=2)
    out.write("\n")


# --- SARIF 2.1.0 -----------------------------------------------------------------------------------


def format_sarif(findings: list[Finding], checked: int, out: TextIO) -> None:
    """One run: a rule per code (every documented code, and each policy found), a result per finding."""
    codes = [rule.code for rule in RULES]
    codes += sorted({f.problem.code for f in findings} - set(codes))
    rule_index = {code: n for n, code in enumerate(codes)}
    results = [_result(f, fingerprint, rule_index) for f, fingerprint in zip(findings, fingerprints(findings))]
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "dagster-components-ls",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": TOOL_URI,
                        "rules": [_rule(code) for code in codes],
                    }
                },
                "originalUriBaseIds": {SRCROOT: {"uri": Path.cwd().as_uri().rstrip("/") + "/"}},
                "columnKind": "utf16CodeUnits",
                "results": results,
            }
        ],
    }
    json.dump(log, out, indent=2)
    out.write("\n")


def _rule(code: str) -> dict[str, Any]:
    rule = rule_for(code)
    when = rule.when[0].upper() + rule.when[1:] + "."
    return {
        "id": code,
        "name": "".join(word[0].upper() + word[1:].lower() for word in re.findall(r"[A-Za-z0-9]+", rule.title)),
        "shortDescription": {"text": rule.title + "."},
        "fullDescription": {"text": when},
        "help": {"text": f"{when} See {help_uri(code)}", "markdown": f"{when} [Reference]({help_uri(code)})"},
        "helpUri": help_uri(code),
        "defaultConfiguration": {"level": _SARIF_LEVEL[rule.severity]},
    }


def _result(f: Finding, fingerprint: str, rule_index: dict[str, int]) -> dict[str, Any]:
    artifact = _artifact(f.path)
    result: dict[str, Any] = {
        "ruleId": f.problem.code,
        "ruleIndex": rule_index[f.problem.code],
        "level": _SARIF_LEVEL[f.problem.severity],
        "message": {"text": _sentence(f.problem.message)},
        "locations": [{"physicalLocation": _physical_location(f, artifact)}],
        "partialFingerprints": {"dagsterComponentsLs/v1": fingerprint},
    }
    fixes = [
        {
            "description": {"text": _sentence(fix.title)},
            "artifactChanges": [
                {
                    "artifactLocation": artifact,
                    "replacements": [
                        {"deletedRegion": _region(f, span), "insertedContent": {"text": new_text}}
                        for span, new_text in fix.edits
                    ],
                }
            ],
        }
        for fix in f.fixes()
    ]
    if fixes:
        result["fixes"] = fixes
    return result


def _artifact(path: Path) -> dict[str, str]:
    """Relative to %SRCROOT% (the current folder) when the file is under it, else an absolute file URI."""
    shown = display_path(path)
    if Path(shown).is_absolute():
        return {"uri": path.absolute().as_uri()}
    return {"uri": quote(Path(shown).as_posix()), "uriBaseId": SRCROOT}


def _physical_location(f: Finding, artifact: dict[str, str]) -> dict[str, Any]:
    """The problem's region with its text, and the whole lines around it as the context region (when larger)."""
    span, text = f.problem.span, f.index.text
    region: dict[str, Any] = {**_region(f, span), "snippet": {"text": text[span.start : span.end]}}
    first, last = f.index.line_of(span.start), f.index.line_of(span.end)
    lines = Span(f.index.line_start(first), f.index.line_start(last) + len(f.index.line_text(last)))
    location = {"artifactLocation": artifact, "region": region}
    if lines != span:  # SARIF wants the context a proper superset of the region
        location["contextRegion"] = {**_region(f, lines), "snippet": {"text": text[lines.start : lines.end]}}
    return location


def _region(f: Finding, span: Span) -> dict[str, int]:
    """1-based lines and columns, columns in UTF-16 code units (the run's columnKind), the end exclusive."""
    (start_line, start_character), (end_line, end_character) = f.index.range_of(span)
    return {
        "startLine": start_line + 1,
        "startColumn": start_character + 1,
        "endLine": end_line + 1,
        "endColumn": end_character + 1,
    }


def _sentence(text: str) -> str:
    """SARIF wants messages that end with a period (its validator's SARIF2001 says so)."""
    text = text.rstrip()
    return text if text.endswith((".", "!", "?")) else text + "."
