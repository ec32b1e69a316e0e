"""Code lenses: above each document's `type:`, how many assets it produces and their direct neighbours."""

from __future__ import annotations

from typing import Optional

from lsprotocol import types

from ..model.documents import ParsedFile
from ..model.loaded import Loaded
from ..model.positions import LineIndex
from ..model.uris import to_path
from .lineage import lens_title
from .lsp_ranges import lsp_range

SHOW_LINEAGE_COMMAND = "dagster.showLineage"


def code_lenses(
    parsed: ParsedFile, index: LineIndex, uri: str, loaded: Optional[Loaded], failure: Optional[str]
) -> list[types.CodeLens]:
    """One lens per document that has a `type:` key, running `dagster.showLineage` for that document."""
    path = str(to_path(uri))
    lenses = []
    for doc in parsed.documents:
        type_key = doc.root.key_node("type") if doc.root is not None and doc.root.kind == "map" else None
        if type_key is None:
            continue
        title = lens_title(loaded, path, doc.index, failure)
        lenses.append(
            types.CodeLens(
                range=lsp_range(index, type_key.span.shifted(doc.start)),
                command=types.Command(
                    title=title, command=SHOW_LINEAGE_COMMAND, arguments=[{"uri": uri, "document": doc.index}]
                ),
            )
        )
    return lenses
