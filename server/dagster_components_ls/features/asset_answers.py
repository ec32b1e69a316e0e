"""Answers that know the last load's assets: completion, hover and definition prefer them, and the lineage request."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from typing import Optional

from lsprotocol import types

from ..model.context import CheckContext
from ..model.documents import ParsedFile, YamlDocument
from ..model.loaded import Loaded
from ..model.positions import KeyPath, LineIndex
from ..model.template_scope import template_scope
from ..model.uris import to_path
from .completion import complete, envelope_of
from .dbt_models import NO_MANIFESTS, Manifests, ReadText, model_definition, model_hover, node_field_completions
from .dbt_selection import dbt_completions, dbt_hover
from .definition import definition
from .hover import hover
from .lineage import LineageState, Locate, asset_at, asset_completions, asset_hover, lineage_view


def complete_with_assets(
    parsed: ParsedFile,
    offset: int,
    ctx: CheckContext,
    index: LineIndex,
    env: Mapping[str, str],
    loaded: Optional[Loaded],
    path: str,
    dbt: Optional[Mapping] = None,
    manifests: Manifests = NO_MANIFESTS,
) -> types.CompletionList:
    """The schema's completions, with the loaded asset keys first where an asset key goes (no label
    twice); inside a dbt selection, the manifest's vocabulary (`dbt`: the last dbt_selection answer);
    after `{{ node.` in a translation, the fields of the project's manifest nodes (`manifests`)."""
    selection = dbt_completions(parsed, offset, index, dbt)
    if selection is not None:
        return selection
    fields = node_field_completions(parsed, offset, index, manifests, lambda d, p: _has_node(d, p, ctx))
    if fields is not None:
        return fields
    items = complete(parsed, offset, ctx, index, env)
    if loaded is not None:
        doc = parsed.document_at(offset)
        own = loaded.produced(path, doc.index) if doc is not None else []
        assets = asset_completions(parsed, offset, loaded, index, own)
        labels = {item.label for item in assets}
        items = assets + [item for item in items if item.label not in labels]
    return types.CompletionList(is_incomplete=False, items=items)


def hover_with_assets(
    parsed: ParsedFile,
    offset: int,
    ctx: CheckContext,
    index: LineIndex,
    loaded: Optional[Loaded],
    dbt: Optional[Mapping] = None,
    manifests: Manifests = NO_MANIFESTS,
) -> Optional[types.Hover]:
    """On a dbt selection, what it selects (`dbt`: the last dbt_selection answer); on an asset key the
    load knows: the asset and where it is produced, after the dbt model it is (`manifests`: the
    project's) when it is one; elsewhere the schema's hover."""
    selection = dbt_hover(parsed, offset, index, dbt)
    if selection is not None:
        return selection
    model = model_hover(parsed, offset, index, manifests, loaded)
    found = asset_at(parsed, offset, loaded) if loaded is not None else None
    asset = None
    if found is not None:
        producer = loaded.assets[found[0]].get("producer") or {}  # type: ignore[union-attr]
        where = producer_text(producer, ctx.project_root)
        asset = asset_hover(loaded, found[0], found[1], index, where)  # type: ignore[arg-type]
    if model is not None and asset is not None:
        both = f"{model.contents.value}\n\n---\n\n{asset.contents.value}"  # type: ignore[union-attr]
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=both), range=model.range)
    return model or asset or hover(parsed, offset, ctx, index)


def producer_text(producer: Mapping, project_root: Optional[str]) -> Optional[str]:
    """ "`defs/b/defs.yaml` (document 2)": where an asset is produced, relative to the project."""
    path = producer.get("path")
    if not isinstance(path, str):
        return None
    shown = os.path.relpath(path, project_root) if project_root and path.startswith(project_root) else path
    document = producer.get("document")
    return f"`{shown}`" + (f" (document {document + 1})" if isinstance(document, int) and document else "")


def definition_with_assets(
    parsed: ParsedFile,
    offset: int,
    ctx: CheckContext,
    index: LineIndex,
    loaded: Optional[Loaded],
    locate: Locate,
    manifests: Manifests = NO_MANIFESTS,
    read: ReadText = lambda path: None,
) -> Optional[list[types.Location]]:
    """On a dbt model's name: its file and its schema entry; on an asset key the load knows: the
    document producing it (after the model's files when it is one); elsewhere the schema's definition."""
    model = model_definition(parsed, offset, manifests, loaded, read) or []
    found = asset_at(parsed, offset, loaded) if loaded is not None else None
    producer = loaded.assets[found[0]].get("producer") if found is not None else None  # type: ignore[union-attr]
    location = locate(producer["path"], producer.get("document")) if isinstance(producer, dict) else None
    if location is not None:
        return [*model, types.Location(uri=location["uri"], range=_lsp_range(location["range"]))]
    return model or definition(parsed, offset, ctx, index)


def _has_node(doc: YamlDocument, path: KeyPath, ctx: CheckContext) -> bool:
    """Whether templates at this key path may read dbt's `node` (a translation of a dbt component)."""
    # A half-typed document (an unclosed quote) is read block by block, as completion reads it.
    scope = template_scope(dataclasses.replace(doc, value=envelope_of(doc)), ctx)
    return scope is not None and "node" in scope.names_at(path)


def _lsp_range(r: dict) -> types.Range:
    return types.Range(start=types.Position(**r["start"]), end=types.Position(**r["end"]))


def why_no_lineage(
    in_project: bool, trusted: bool, lineage_enabled: bool, unset_environment: Optional[str], error: Optional[str]
) -> str:
    """Why a project has no lineage to show, the first reason that holds."""
    if not in_project:
        return "Lineage needs a dg project: this file is in none"
    if not trusted:
        return "Lineage runs the project's code, which an untrusted workspace does not allow"
    if not lineage_enabled:
        return "Lineage is turned off (setting dagsterComponents.lineage.enabled)"
    if unset_environment is not None:
        return f"Lineage needs the project's environment, which is not set up: {unset_environment}"
    return error or "The definitions could not be loaded"


def lineage_result(
    loaded: Optional[Loaded],
    uri: str,
    document: object,
    depth: object,
    lineage: LineageState,
    why: str,
    locate: Locate,
    locate_error: Callable[[dict], Optional[dict]],
) -> dict:
    """DESIGN's lineage result: the last good graph (`stale` while a newer load runs), or why there is none."""
    if loaded is None:
        message = lineage.error or why
        return {
            "assets": [],
            "edges": [],
            "errors": [{"message": message, "uri": uri, "range": None}],
            "stale": lineage.stale,
        }
    view = lineage_view(
        loaded,
        str(to_path(uri)),
        document if isinstance(document, int) else None,
        depth if isinstance(depth, int) else 1,
        lineage.stale,
        locate,
        locate_error,
    )
    if lineage.error:  # the last refresh failed: the graph shown is the one before it
        view["errors"].append({"message": lineage.error, "uri": None, "range": None})
    return view
