"""The params of our own requests and commands, as pygls hands them over (objects, lists), read as dicts."""

from __future__ import annotations

from typing import Any


def params_dict(params: Any) -> dict:
    """pygls hands custom requests' params over as a namedtuple-like object; read them as a dict."""
    if isinstance(params, dict):
        return params
    if hasattr(params, "_asdict"):
        return {k: params_dict(v) if hasattr(v, "_asdict") else v for k, v in params._asdict().items()}
    return dict(vars(params)) if hasattr(params, "__dict__") else {}


def first_arg(args: tuple) -> dict:
    """Commands arrive as `[{...}]` (pygls may pass the list itself, or its items)."""
    first = args[0] if args else {}
    if isinstance(first, list):
        first = first[0] if first else {}
    return dict(first) if isinstance(first, dict) else {}


def lineage_request(params: Any) -> tuple[str, Any, Any]:
    """`{textDocument: {uri}, document?, depth?}` (or `{uri}`) -> uri, document, depth (depth 1 unless given)."""
    request = params_dict(params)
    uri = (request.get("textDocument") or {}).get("uri") or request.get("uri")
    if not isinstance(uri, str):
        raise ValueError("dagster/lineage needs textDocument.uri")
    return uri, request.get("document"), request.get("depth", 1)


def resolved_request(params: Any) -> tuple[str, Any]:
    """`{textDocument: {uri}, document?}` (or `{uri, document?}`) -> uri, document index (None: all)."""
    request = params_dict(params)
    uri = (request.get("textDocument") or {}).get("uri") or request.get("uri")
    if not isinstance(uri, str):
        raise ValueError("dagster/resolved needs textDocument.uri")
    document = request.get("document")
    return uri, document if isinstance(document, int) and not isinstance(document, bool) else None
