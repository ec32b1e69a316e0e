"""The definitions a load built: their asset graph as plain JSON, and which file produced each asset."""

# Dagster is imported inside the functions, never at module level; the releases supported and the
# rule for renames are in adapter.py.

from pathlib import Path
from typing import Any

import adapter_tree
import protocol


def _graph(defs: Any) -> Any:
    """The asset graph of Definitions (resolved) or of a RepositoryDefinition (already resolved).
    Definitions that do not validate (a resource no file provides) still have their assets' graph:
    `validate_definitions` says what is wrong with them."""
    graph = getattr(defs, "asset_graph", None)
    if graph is not None and not callable(graph):
        return graph
    try:
        return defs.resolve_asset_graph()
    except Exception:  # noqa: BLE001 - reported by validate_definitions
        try:
            from dagster._core.definitions.assets.graph.asset_graph import AssetGraph
        except ImportError:  # 1.11
            from dagster._core.definitions.asset_graph import AssetGraph
        return AssetGraph.from_assets(list(getattr(defs, "assets", None) or ()))


def validate_definitions(defs: Any) -> None:
    """Raises what Dagster raises when it loads these definitions (resources, jobs, schedules)."""
    if getattr(defs, "asset_graph", None) is not None and not callable(defs.asset_graph):
        return  # a RepositoryDefinition: built, so valid
    from dagster import Definitions

    Definitions.validate_loadable(defs)


def merge_defs(all_defs: list[Any]) -> Any:
    from dagster import Definitions

    return Definitions.merge(*all_defs) if all_defs else Definitions()


def asset_nodes(defs: Any) -> dict[str, protocol.AssetNode]:
    """The asset graph as plain JSON, by user-string key; stubs of external deps are marked."""
    graph = _graph(defs)
    nodes: dict[str, protocol.AssetNode] = {}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        tags = dict(getattr(node, "tags", None) or {})
        condition = getattr(node, "automation_condition", None)
        nodes[key.to_user_string()] = {
            "key": key.to_user_string(),
            "deps": sorted(k.to_user_string() for k in node.parent_keys),
            "group": node.group_name,
            "kinds": sorted(node.kinds or ()),
            "owners": list(node.owners or ()),
            "tags": {k: v for k, v in tags.items() if not k.startswith("dagster/kind/")},
            "checks": sorted(k.name for k in node.check_keys),
            "description": node.description,
            "automation_condition": _condition_label(condition) if condition is not None else None,
            "materializable": bool(node.is_materializable),
        }
    return nodes


def own_assets(defs: Any) -> list[tuple[str, Path | None]]:
    """(key, file of the function that computes it, when known) of each asset these definitions
    materialize, read from the definitions as built, never resolved: resolving checks resources, and
    a file's assets may need a resource that a sibling file provides (`defs/resources.py`)."""
    found = []
    for item in getattr(defs, "assets", None) or ():
        keys = getattr(item, "keys", None)
        if keys is None or not getattr(item, "is_materializable", False):
            continue  # an AssetSpec or SourceAsset: an external asset, not produced here
        source = _compute_file(item)
        found += [(key.to_user_string(), source) for key in keys]
    return found


def compute_files(defs: Any) -> dict[str, Path]:
    """Asset key -> the file of the function that computes it, for each materializable asset."""
    graph = _graph(defs)
    found = {}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assets_def = getattr(node, "assets_def", None)
        source = _compute_file(assets_def) if node.is_materializable and assets_def is not None else None
        if source is not None:
            found[key.to_user_string()] = source
    return found


def _compute_file(assets_def: Any) -> Path | None:
    import inspect

    try:
        fn = assets_def.op.compute_fn
        fn = getattr(fn, "decorated_fn", fn)
        source = inspect.getsourcefile(inspect.unwrap(fn))
    except Exception:  # noqa: BLE001 - a graph-backed or generated asset: no single function
        return None
    return Path(source).resolve() if source else None


def component_file_references(defs: Any) -> dict[str, tuple[Path, int]]:
    """Asset key -> (component file, line) that Dagster records in each asset's
    `dagster/code_references` metadata: the start line of the YAML document that produced it. A
    folder's document (its `post_processing`) adds its own reference too: the deepest file wins."""
    graph = _graph(defs)
    found: dict[str, tuple[Path, int]] = {}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if not node.is_materializable:
            continue
        references = (node.metadata or {}).get("dagster/code_references")
        for reference in getattr(references, "code_references", None) or ():
            path, line = getattr(reference, "file_path", None), getattr(reference, "line_number", None)
            if not (path and isinstance(line, int) and Path(path).name in adapter_tree.COMPONENT_FILE_NAMES):
                continue
            user_key, path = key.to_user_string(), Path(path).resolve()
            if user_key not in found or len(path.parts) > len(found[user_key][0].parts):
                found[user_key] = (path, line)
    return found


def document_start_lines(path: Path) -> list[int]:
    """The 1-based line where each YAML document of a component file starts, as Dagster counts it."""
    import yaml

    try:
        return [node.start_mark.line + 1 for node in yaml.compose_all(path.read_text(encoding="utf-8"))]
    except (OSError, yaml.YAMLError):
        return []


def _condition_label(condition: Any) -> str:
    label = getattr(condition, "get_label", lambda: None)()
    return label or getattr(condition, "name", None) or type(condition).__name__
