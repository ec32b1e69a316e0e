"""Builds the `dbt_selection` result: a dbt component's select/exclude/selector judged by dagster-dbt's own selection on its manifest."""

# The selection is evaluated by the function DbtProjectComponent itself calls while it builds its
# assets (`build_dbt_specs` -> `dagster_dbt.utils.select_unique_ids(select, exclude, selector,
# project, manifest_json)`), on the manifest the component reads (its stored state's project copy
# under .local_defs_state/, else the dbt project's target/manifest.json). Nothing is parsed here:
# a manifest that does not exist yet is the load's to prepare (dbt parse), never this call's.
# dbt splits a selection at single spaces into a union of criteria (`parse_union`); each is also
# evaluated alone, so the criterion that matches nothing, or that dbt rejects, can be named.

import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import adapter
import adapter_dbt
import adapter_tree
import protocol
import registry

DEFAULTS = {"select": "fqn:*", "exclude": "", "selector": ""}
MAX_SELECTED = 200
ASSET_TYPES = ("model", "seed", "snapshot")  # dagster_dbt.utils.ASSET_RESOURCE_TYPES
MAX_DESCRIPTION = 500
MAX_COLUMNS = 50
MAX_COLUMN_DESCRIPTION = 200


def judge_documents(project_root: str, path: str, documents: list[dict[str, Any]]) -> protocol.DbtSelectionResult:
    """See protocol.py (METHOD_DBT_SELECTION). Runs in a forked child: loading the component runs the project's code."""
    with adapter.quiet_dagster_warnings():
        return _judge_documents(Path(project_root), Path(path), documents)


def _judge_documents(root: Path, path: Path, documents: list[dict[str, Any]]) -> protocol.DbtSelectionResult:
    project = registry.read_project(root)
    if project is None:
        raise ValueError(f"{root} is not a dg project")
    base = str(project.package_base)
    if base in sys.path:
        sys.path.remove(base)
    sys.path.insert(1, base)  # the project's own files, even when another copy is installed (see load.py)
    os.environ.update(adapter_tree.project_env_file(root))
    adapter_tree.refresh_stored_state_only_when_asked(lambda manifest, project_dir: True)  # never dbt parse here
    try:
        tree = adapter_tree.component_tree(root)
        leaves = {leaf.document: leaf for leaf in adapter_tree.leaves(tree) if leaf.path.resolve() == path.resolve()}
    except Exception as e:  # noqa: BLE001 - the defs folder does not load: the load reports it
        reason = f"the project's defs do not load: {type(e).__name__}: {e}"
        return {"results": [_without(d.get("index"), reason) for d in documents], "manifests": {}}
    results: list[protocol.DbtSelectionDocument] = []
    manifests: dict[str, protocol.DbtVocabulary] = {}
    for doc in documents:
        index = doc.get("index")
        leaf = leaves.get(index)
        if leaf is None:
            results.append(_without(index, "the document is not part of the project's defs folder on disk"))
            continue
        results.append(_judge(tree, leaf, root, doc, manifests))
    return {"results": results, "manifests": manifests}


_MANIFESTS: dict[Path, tuple[float, dict[str, Any]]] = {}
"""Manifests the worker itself has read (path -> its mtime and content): each call's forked child
finds them in memory instead of parsing manifest.json again (seconds for a large project)."""


def read_manifest(path: Path) -> dict[str, Any]:
    mtime = path.stat().st_mtime
    cached = _MANIFESTS.get(path)
    if cached is not None and cached[0] == mtime:
        return cached[1]
    return json.loads(path.read_text(encoding="utf-8"))


def remember_manifests(result: protocol.DbtSelectionResult) -> None:
    """In the worker, after answering: read the manifests this answer used, for the next calls' children."""
    for path in result.get("manifests") or {}:
        try:
            manifest = Path(path)
            _MANIFESTS[manifest] = (manifest.stat().st_mtime, read_manifest(manifest))
        except (OSError, ValueError):
            _MANIFESTS.pop(Path(path), None)


def _without(index: Any, reason: str) -> protocol.DbtSelectionDocument:
    return {
        "index": index,
        "manifest": None,
        "reason": reason,
        "fields": {},
        "selected": None,
        "kinds": None,
        "error": None,
    }


def _judge(
    tree: Any, leaf: adapter_tree.Leaf, root: Path, doc: dict[str, Any], manifests: dict[str, protocol.DbtVocabulary]
) -> protocol.DbtSelectionDocument:
    load = getattr(tree, "load_component", None) or tree.load_component_at_path  # 1.11 name
    try:
        component = load(leaf.loc)
    except Exception as e:  # noqa: BLE001 - the load reports it at its key
        return _without(doc.get("index"), f"the component does not load: {type(e).__name__}: {e}")
    if not adapter_dbt.is_dbt_project_component(component):
        return _without(doc.get("index"), "not a DbtProjectComponent")
    try:
        project = adapter_dbt.dbt_project(component, root)
    except Exception as e:  # noqa: BLE001 - a project folder that does not exist: the load's error
        return _without(doc.get("index"), f"the dbt project cannot be read: {type(e).__name__}: {e}")
    manifest_path = Path(project.manifest_path)
    if not manifest_path.is_file():
        return _without(doc.get("index"), "the dbt manifest is not prepared yet (the first load runs dbt parse)")
    manifest = read_manifest(manifest_path)
    manifests.setdefault(str(manifest_path), vocabulary(manifest, adapter_dbt.source_project_dir(component, project)))
    values = {name: doc.get(name) if isinstance(doc.get(name), str) else None for name in DEFAULTS}
    select = adapter_dbt.selection_function(project, manifest)

    fields: dict[str, protocol.DbtSelectionField] = {}
    for name, value in values.items():
        if value is not None:
            fields[name] = _judge_field(name, value, select)
    selected, kinds, error = None, None, None
    if not any(f["error"] or any(c["error"] for c in f["criteria"]) for f in fields.values()):
        try:
            chosen = {name: value if value is not None else DEFAULTS[name] for name, value in values.items()}
            every = select(chosen["select"], chosen["exclude"], chosen["selector"])
        except Exception as e:  # noqa: BLE001 - e.g. both a selector and select/exclude
            error = _message(e)
        else:
            # Assets first (what the component builds), then tests and the rest.
            ordered = sorted(every, key=lambda u: (u.split(".", 1)[0] not in ASSET_TYPES, u))
            selected = ordered[:MAX_SELECTED]
            kinds = dict(Counter(_resource_type(u, manifest) for u in every))
    return {
        "index": doc.get("index"),
        "manifest": {
            "path": str(manifest_path),
            "project_dir": str(project.project_dir),
            "mtime": manifest_path.stat().st_mtime,
        },
        "reason": None,
        "fields": fields,
        "selected": selected,
        "kinds": kinds,
        "error": error,
    }


def _judge_field(name: str, value: str, select: Any) -> protocol.DbtSelectionField:
    """Each criterion of a select/exclude alone (`count` nodes, or dbt's `error`); a selector by its name."""
    if name == "selector":
        if not value:
            return {"value": value, "criteria": [], "error": None}
        try:
            count = len(select("", "", value))
        except Exception as e:  # noqa: BLE001 - dagster-dbt's "Selector `x` not found in manifest."
            return {"value": value, "criteria": [_criterion(value, 0, 0, _message(e))], "error": None}
        return {"value": value, "criteria": [_criterion(value, 0, count, None)], "error": None}
    criteria: list[protocol.DbtCriterion] = []
    start = 0
    for part in value.split(" "):  # dbt's own split (graph/cli.py parse_union)
        if part:
            try:
                criteria.append({"text": part, "start": start, "count": len(select(part, "", "")), "error": None})
            except Exception as e:  # noqa: BLE001 - dbt's InvalidSelectorError, at this criterion
                criteria.append({"text": part, "start": start, "count": 0, "error": _message(e)})
        start += len(part) + 1
    return {"value": value, "criteria": criteria, "error": None}


def _criterion(text: str, start: int, count: int, error: str | None) -> protocol.DbtCriterion:
    return {"text": text, "start": start, "count": count, "error": error}


def _message(e: BaseException) -> str:
    """dbt's message without its "Runtime Error" heading: "'foo' is not a valid method name"."""
    lines = [line.strip() for line in str(e).splitlines() if line.strip()]
    if len(lines) > 1 and lines[0].endswith("Error"):
        lines = lines[1:]
    return " ".join(lines) or type(e).__name__


def vocabulary(manifest: dict[str, Any], project_dir: str = "") -> protocol.DbtVocabulary:
    """The names a selection can use, from the manifest: its nodes and sources, and its selectors; and
    what a model's hover, definition and `node.` completion need (columns, files, and the fields of the
    nodes a translation sees: models, seeds, snapshots)."""
    nodes: list[protocol.DbtNode] = []
    fields: set[str] = set()
    for collection in ("nodes", "sources", "exposures", "metrics", "semantic_models", "saved_queries"):
        for unique_id, node in (manifest.get(collection) or {}).items():
            nodes.append(_node(unique_id, node))
            if collection == "nodes" and isinstance(node, dict) and node.get("resource_type") in ASSET_TYPES:
                fields.update(k for k in node if isinstance(k, str))
    selectors = [
        protocol.DbtSelector(name=name, description=(s.get("description") or "")[:MAX_DESCRIPTION])
        for name, s in (manifest.get("selectors") or {}).items()
    ]
    return {"nodes": nodes, "selectors": selectors, "node_fields": sorted(fields), "project_dir": project_dir}


def _node(unique_id: str, node: dict[str, Any]) -> protocol.DbtNode:
    config = node.get("config") or {}
    return {
        "unique_id": unique_id,
        "name": node.get("name") or unique_id.rsplit(".", 1)[-1],
        "resource_type": node.get("resource_type") or unique_id.split(".", 1)[0],
        "package": node.get("package_name") or "",
        "path": node.get("original_file_path") or node.get("path") or "",
        "tags": sorted({*_strings(node.get("tags")), *_strings(config.get("tags"))}),
        "materialized": config.get("materialized"),
        "source_name": node.get("source_name"),
        "description": (node.get("description") or "")[:MAX_DESCRIPTION],
        "columns": _columns(node.get("columns")),
        "original_file_path": node.get("original_file_path"),
        "patch_path": node.get("patch_path"),
    }


def _columns(columns: Any) -> list[protocol.DbtColumn]:
    """A node's documented columns, the first MAX_COLUMNS: `{"customer_id": {"name", "description", ...}}`."""
    if not isinstance(columns, dict):
        return []
    found: list[protocol.DbtColumn] = []
    for name, column in list(columns.items())[:MAX_COLUMNS]:
        description = column.get("description") if isinstance(column, dict) else None
        found.append({"name": str(name), "description": (description or "")[:MAX_COLUMN_DESCRIPTION]})
    return found


def _resource_type(unique_id: str, manifest: dict[str, Any]) -> str:
    node = (manifest.get("nodes") or {}).get(unique_id) or {}
    return node.get("resource_type") or unique_id.split(".", 1)[0]


def _strings(value: Any) -> list[str]:
    """dbt's tags: a list of strings, or one string."""
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
