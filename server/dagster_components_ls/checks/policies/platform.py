"""Platform policies: the worker's `policies` request for a file, and its answers (violations, failures) as problems.

Writing a platform policy
-------------------------
Register a function in your package's `pyproject.toml`; the entry-point name is the rule name:

    [project.entry-points."dagster_components_ls.policies"]
    acme-naming = "acme_platform.policies:naming_policy"

    def naming_policy(document: Mapping[str, Any]) -> list[dict[str, Any]]: ...

- `document` is one `defs.yaml` document as plain JSON data, as written (`{"type": ...,
  "attributes": ...}`); the function is called once per document, in the project's interpreter.
- It returns a list (or yields) violations `{"path": [...], "message": "..."}`: `path` is the key path
  inside the document (strings for keys, integers for list indices), `message` a non-empty string.
  The diagnostic is placed on the value at `path` (on its key when the value is a mapping or list, on
  the deepest existing key when the path does not exist). Return `[]` when the document passes.
- Asset-level: a function with a second parameter, `def policy(document, assets)`, also receives the
  assets the document produced once they are loaded (a list of `{"key", "owners", "tags", ...}` as in
  the `dagster/lineage` result), and `None` on the keystroke path. Its violations may carry
  `"asset_key": "<key>"` instead of `path`.
- Each policy runs in its own forked process with a time limit. A policy that cannot be imported,
  raises, returns anything else, prints to stdout or runs too long is reported once per file as a
  `policy-config` warning naming the policy and its package; the other policies keep working.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Optional

from ...model.context import CheckContext, resolve_type
from ...model.documents import ParsedFile
from ...model.positions import Span
from ...model.problems import ERROR, WARNING, Problem
from .config import CONFIG_CODE
from .spans import asset_span, path_span

ENTRY_POINT_GROUP = "dagster_components_ls.policies"


def policy_request(
    parsed: ParsedFile, ctx: CheckContext, assets: Optional[Mapping[int, list[Any]]] = None
) -> dict[str, Any]:
    """Params of the worker's `policies` call for one file: its mapping documents as plain JSON, with
    the assets each produced when the definitions are loaded (asset-aware policies receive them).

    `index` is the document's index in the file; a caller batching several files may number them
    otherwise, since the worker only echoes it.
    """
    documents = []
    for doc in parsed.documents:
        if not isinstance(doc.value, dict):
            continue
        written = doc.value.get("type")
        component = resolve_type(written.strip(), ctx) if isinstance(written, str) else None
        entry = {"index": doc.index, "type": component.key if component else None, "document": plain_json(doc.value)}
        if assets is not None and doc.index in assets:
            entry["assets"] = assets[doc.index]
        documents.append(entry)
    return {"documents": documents}


BATCH_STRIDE = 100_000
"""Document i of the f-th file of a batch travels as index f * BATCH_STRIDE + i."""


def policy_batch_request(
    files: Sequence[tuple[ParsedFile, CheckContext]], assets: Optional[Sequence[Mapping[int, list[Any]]]] = None
) -> dict[str, Any]:
    """One `policies` call for several files (`check`): one child per policy instead of one per file."""
    documents = []
    for number, (parsed, ctx) in enumerate(files):
        for entry in policy_request(parsed, ctx, assets[number] if assets is not None else None)["documents"]:
            documents.append({**entry, "index": number * BATCH_STRIDE + entry["index"]})
    return {"documents": documents}


def split_policy_answer(answer: Mapping[str, Any], file_count: int) -> list[dict[str, list[dict[str, Any]]]]:
    """A batch answer per file, with the files' own document indices; a policy that failed before any
    document (index null) failed for every file."""
    out: list[dict[str, list[dict[str, Any]]]] = [{"results": [], "errors": []} for _ in range(file_count)]
    for kind in ("results", "errors"):
        for entry in answer.get(kind) or ():
            index = entry.get("index")
            if isinstance(index, int) and 0 <= index // BATCH_STRIDE < file_count:
                out[index // BATCH_STRIDE][kind].append({**entry, "index": index % BATCH_STRIDE})
            elif index is None and kind == "errors":
                for per_file in out:
                    per_file["errors"].append(dict(entry))
    return out


def plain_json(value: Any, _depth: int = 0) -> Any:
    """YAML data as JSON data: dates become ISO strings, other keys and values strings; bounded depth."""
    if _depth > 100:
        return None
    if isinstance(value, dict):
        return {k if isinstance(k, str) else _show_key(k): plain_json(v, _depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_json(v, _depth + 1) for v in value]
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def _show_key(key: Any) -> str:
    return json.dumps(key) if isinstance(key, (bool, type(None))) else str(key)


def entry_point_problems(parsed: ParsedFile, results: Iterable[Mapping[str, Any]]) -> list[Problem]:
    """The worker's `policies` results for one file as problems (spans into the file), code `policy:<name>`.

    Sample result: {"policy": "acme-naming", "package": "acme-platform", "index": 0,
                    "violations": [{"path": ["attributes", "owner"], "message": "owner 'ada@...' is a person"}]}
    """
    out = []
    for result in results:
        policy, package, index = result.get("policy"), result.get("package"), result.get("index")
        if not isinstance(policy, str) or not isinstance(index, int) or not 0 <= index < len(parsed.documents):
            continue
        doc = parsed.documents[index]
        source = f" (from {package})" if package else ""
        for violation in result.get("violations") or ():
            if not isinstance(violation, Mapping) or not isinstance(violation.get("message"), str):
                continue
            data: dict[str, Any] = {"policy": policy, "package": package}
            if isinstance(violation.get("asset_key"), str) and "path" not in violation:
                span = asset_span(doc, violation["asset_key"])
                data["asset_key"] = violation["asset_key"]
            else:
                written = violation.get("path")
                path = written if isinstance(written, list) else []
                span = path_span(doc, path)
                data["path"] = path
            out.append(
                Problem(span.shifted(doc.start), f"policy:{policy}", f"{violation['message']}{source}", ERROR, data)
            )
    return out


def policy_error_problems(parsed: ParsedFile, errors: Iterable[Mapping[str, Any]]) -> list[Problem]:
    """Platform policies that failed (could not load, raised, returned garbage, printed, timed out, crashed):
    one `policy-config` warning per policy on the file's first line, naming the policy and its package.

    Sample error: {"policy": "acme-naming", "package": "acme-platform", "index": 0, "message": "raised ValueError: boom"}
    """
    first_line = Span(0, len(parsed.text.split("\n", 1)[0]))
    seen: set[tuple[Any, Any]] = set()
    out = []
    for error in errors:
        policy, package = error.get("policy"), error.get("package")
        if (policy, package) in seen or not isinstance(policy, str):
            continue
        seen.add((policy, package))
        origin = f"Policy '{policy}'" + (f" from package '{package}'" if package else " (no package)")
        out.append(
            Problem(
                first_line,
                CONFIG_CODE,
                f"{origin} {error.get('message') or 'failed'}",
                WARNING,
                data={"policy": policy, "package": package},
            )
        )
    return out
