"""`file:` URIs and paths: the one place that converts between them, escaped the way editors escape them."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Union
from urllib.parse import unquote, urlsplit

URI_KEYS = frozenset({"uri", "rootUri", "targetUri", "oldUri", "newUri"})
"""The LSP fields that hold a document's or folder's URI, in what clients send."""


def from_path(path: Union[str, Path]) -> str:
    """`file:///…/my%20dir/defs.yaml`: each byte outside `A-Za-z0-9-._~/` percent-encoded (upper-case
    hex), which is how VS Code (`URI.file`) and Neovim (`vim.uri_from_fname`) write a path."""
    return Path(path).absolute().as_uri()


def to_path(uri: str) -> Path:
    """The file a `file:` URI names (escapes decoded, in any case); anything else is taken as a path."""
    if not uri.startswith("file:"):
        return Path(uri)
    parts = urlsplit(uri)
    path = unquote(parts.path)
    if parts.netloc and parts.netloc != "localhost":  # file://server/share/…: a UNC path
        return Path(f"//{unquote(parts.netloc)}{path}")
    return Path(path)


def canonical(uri: str) -> str:
    """One spelling per file (`from_path(to_path(uri))`): `%c3%a9` and `%C3%A9` are the same document.
    Other schemes (`untitled:`) are left as they are."""
    if not uri.startswith("file:"):
        return uri
    path = to_path(uri)
    return from_path(path) if path.is_absolute() else uri


def canonical_uris(value: Any) -> Any:
    """A message's params with every URI field made canonical (the server's edge: nothing inside sees
    another spelling). Strings elsewhere (a document's text) are left untouched."""
    if isinstance(value, dict):
        return {
            k: canonical(v) if k in URI_KEYS and isinstance(v, str) else canonical_uris(v) for k, v in value.items()
        }
    if isinstance(value, list):
        return [canonical_uris(v) for v in value]
    return value
