"""`check --report OUT.html|OUT.json`: the compliance report a platform team reviews, across every project checked.

The JSON shape (docs/reference/cli.md documents it):

    {"version": 1, "projects": [path, ...], "files": int, "instances": int,
     "types": [{"type", "package", "version", "instances"}],
     "owners": [{"owner", "instances"}],
     "policy_findings": {"total": int, "by_rule": [{"rule", "errors", "warnings"}],
                         "by_owner": [{"owner", "findings"}], "by_folder": [{"folder", "findings"}]},
     "findings": {"errors": int, "warnings": int, "by_code": [{"code", "findings"}]}}
"""

from __future__ import annotations

import html
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from ..model.context import CheckContext, component_of
from ..model.documents import ParsedFile, YamlDocument
from ..model.problems import ERROR, WARNING
from .findings import Finding, display_path
from .rules import POLICY_PREFIX

FORMATS = (".html", ".json")
NO_OWNER = "(no owner)"
UNKNOWN = "(unknown)"
OWNER_PATHS = (("owner",), ("owners",), ("translation", "owners"))
"""Where an instance names its owners, under `attributes` (a string or a list of strings)."""


@dataclass(frozen=True)
class Checked:
    """One checked file, as the report needs it."""

    path: Path
    parsed: ParsedFile
    ctx: CheckContext
    project: Optional[Path]


def build_report(checked: list[Checked], findings: list[Finding]) -> dict[str, Any]:
    types: Counter[tuple[str, str, str]] = Counter()
    owners: Counter[str] = Counter()
    owners_at: dict[tuple[str, int], list[str]] = {}
    for file in checked:
        for doc in file.parsed.documents:
            if not isinstance(doc.value, dict):
                continue
            types[_type_of(doc, file.ctx)] += 1
            names = _owners(doc) or [NO_OWNER]
            owners.update(names)
            owners_at[(str(file.path), doc.index)] = names
    policy = [f for f in findings if f.problem.code.startswith(POLICY_PREFIX)]
    by_rule: dict[str, Counter[str]] = {}
    by_owner: Counter[str] = Counter()
    by_folder: Counter[str] = Counter()
    for f in policy:
        by_rule.setdefault(f.problem.code, Counter())[f.problem.severity] += 1
        by_owner.update(owners_at.get((str(f.path), _document_index(f)), [NO_OWNER]))
        by_folder[display_path(f.path.parent)] += 1
    return {
        "version": 1,
        "projects": sorted({display_path(c.project) for c in checked if c.project is not None}),
        "files": len(checked),
        "instances": sum(types.values()),
        "types": [{"type": t, "package": p, "version": v, "instances": n} for (t, p, v), n in sorted(types.items())],
        "owners": [{"owner": o, "instances": n} for o, n in sorted(owners.items())],
        "policy_findings": {
            "total": len(policy),
            "by_rule": [
                {"rule": code.removeprefix(POLICY_PREFIX), "errors": c[ERROR], "warnings": c[WARNING]}
                for code, c in sorted(by_rule.items())
            ],
            "by_owner": [{"owner": o, "findings": n} for o, n in sorted(by_owner.items())],
            "by_folder": [{"folder": d, "findings": n} for d, n in sorted(by_folder.items())],
        },
        "findings": {
            "errors": sum(f.problem.severity == ERROR for f in findings),
            "warnings": sum(f.problem.severity == WARNING for f in findings),
            "by_code": [
                {"code": c, "findings": n} for c, n in sorted(Counter(f.problem.code for f in findings).items())
            ],
        },
    }


def _type_of(doc: YamlDocument, ctx: CheckContext) -> tuple[str, str, str]:
    """(canonical type key, owning package, its version); a type the registry does not know is as written."""
    component = component_of(doc, ctx)
    if component is not None:
        return component.key, component.package or "(project)", component.version or UNKNOWN
    written = doc.value.get("type") if isinstance(doc.value, dict) else None
    return (written.strip() if isinstance(written, str) and written.strip() else "(no type)"), UNKNOWN, UNKNOWN


def _owners(doc: YamlDocument) -> list[str]:
    attributes = doc.value.get("attributes") if isinstance(doc.value, dict) else None
    found: list[str] = []
    for path in OWNER_PATHS:
        value: Any = attributes
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        found += [v for v in values if isinstance(v, str) and v and v not in found]
    return found


def _document_index(f: Finding) -> int:
    if f.source is None:
        return 0
    doc = f.source[0].document_at(f.problem.span.start)
    return doc.index if doc is not None else 0


def write_report(out: Path, report: dict[str, Any]) -> None:
    if out.suffix.lower() == ".json":
        out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    else:
        out.write_text(to_html(report), encoding="utf-8")


# --- HTML: self-contained, every text from the files escaped ----------------------------------------

STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #1f2328; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #d0d7de; padding: 4px 10px; text-align: left; }
th { background: #f6f8fa; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
"""


def to_html(report: dict[str, Any]) -> str:
    policy = report["policy_findings"]
    sections = [
        _table("Component types", ["type", "package", "version", "instances"], report["types"]),
        _table("Owners", ["owner", "instances"], report["owners"]),
        _table("Policy findings by rule", ["rule", "errors", "warnings"], policy["by_rule"]),
        _table("Policy findings by owner", ["owner", "findings"], policy["by_owner"]),
        _table("Policy findings by folder", ["folder", "findings"], policy["by_folder"]),
        _table("All findings by code", ["code", "findings"], report["findings"]["by_code"]),
    ]
    projects = "".join(f"<li>{html.escape(p)}</li>" for p in report["projects"]) or "<li>(none)</li>"
    summary = (
        f"<p>{report['files']} files, {report['instances']} instances, {policy['total']} policy findings; "
        f"{report['findings']['errors']} errors and {report['findings']['warnings']} warnings in all.</p>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        "<title>Dagster components compliance report</title>\n"
        f"<style>{STYLE}</style>\n</head>\n<body>\n<h1>Dagster components compliance report</h1>\n"
        f"<h2>Projects</h2>\n<ul>{projects}</ul>\n{summary}\n" + "\n".join(sections) + "\n</body>\n</html>\n"
    )


def _table(title: str, columns: list[str], rows: list[dict[str, Any]]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{row[c]}</td>' if isinstance(row[c], int) else f"<td>{html.escape(str(row[c]))}</td>"
            for c in columns
        )
        + "</tr>\n"
        for row in rows
    )
    if not rows:
        body = f'<tr><td colspan="{len(columns)}">none</td></tr>\n'
    return f"<h2>{html.escape(title)}</h2>\n<table>\n<tr>{head}</tr>\n{body}</table>"
