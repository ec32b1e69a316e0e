"""Open documents and their parsed versions (cached by version), component files on disk (cached by mtime)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Optional
from urllib.parse import unquote

from lsprotocol import types
from pygls.workspace import TextDocument

from ..model.context import CheckContext
from ..model.documents import ParsedFile, parse_file
from ..model.positions import LineIndex
from ..model.uris import from_path, to_path
from ..model.vocabulary import COMPONENT_FILE_NAMES
from ..project.files import read_text

if TYPE_CHECKING:
    from pygls.lsp.server import LanguageServer


def is_pyproject(uri: str) -> bool:
    return to_path(uri).name == "pyproject.toml"


def is_component_file(uri: str) -> bool:
    return to_path(uri).name in COMPONENT_FILE_NAMES


@dataclass(frozen=True)
class Snapshot:
    """One version of an open component file, with what every feature needs to answer about it."""

    text: str
    parsed: ParsedFile
    index: LineIndex
    ctx: CheckContext

    def offset(self, position: types.Position) -> int:
        return self.index.offset_at(position)


class Documents:
    """The editor's open documents as parsed files, and component files on disk the editor has not opened."""

    def __init__(self, server: LanguageServer) -> None:
        self.server = server
        self.parsed: dict[str, tuple[int, ParsedFile, LineIndex]] = {}
        self.disk_files: dict[Path, tuple[tuple[int, int], ParsedFile]] = {}
        self.path_uris: dict[Path, str] = {}
        """Each path parse_path was asked for -> its URI (a workspace request asks for every file)."""

    def position_encoding(self) -> str:
        return self.server.workspace.position_encoding or types.PositionEncodingKind.Utf16

    def get(self, uri: str) -> Optional[TextDocument]:
        """The open document at `uri`, or None (pygls files documents under their unescaped URI)."""
        return self.server.workspace.text_documents.get(unquote(uri))

    def version(self, uri: str) -> Optional[int]:
        return self.server.workspace.get_text_document(uri).version

    def uris(self) -> list[str]:
        """The open component files."""
        return [doc.uri for doc in list(self.server.workspace.text_documents.values()) if is_component_file(doc.uri)]

    def parse(self, uri: str) -> tuple[str, ParsedFile, LineIndex]:
        """The open document's parse and line index, cached by version (only changed YAML documents re-parse)."""
        doc = self.server.workspace.get_text_document(uri)
        cached = self.parsed.get(uri)
        if cached is None or cached[0] != doc.version:
            encoding = self.position_encoding()
            cached = (doc.version or 0, parse_file(doc.source), LineIndex(doc.source, encoding))
            self.parsed[uri] = cached
        return doc.source, cached[1], cached[2]

    def forget(self, uri: str) -> None:
        self.parsed.pop(uri, None)

    def parse_path(self, path: Path) -> ParsedFile:
        """An open document's current text, else the file on disk (cached by modification time)."""
        uri = self.path_uris.get(path) or self.path_uris.setdefault(path, from_path(path))
        if self.get(uri) is not None:
            return self.parse(uri)[1]
        try:
            stat = path.stat()
            key = (stat.st_mtime_ns, stat.st_size)
        except OSError:
            return parse_file("")
        cached = self.disk_files.get(path)
        if cached is None or cached[0] != key:
            try:  # only a regular file: a FIFO named defs.yaml would block the event loop forever
                text = read_text(path)
            except OSError:
                text = ""
            cached = (key, parse_file(text))
            self.disk_files[path] = cached
        return cached[1]

    def text_at(self, path: str) -> Optional[str]:
        """Any file's text (a dbt model, a schema file): the open document's, else the file on disk, else None."""
        doc = self.get(from_path(Path(path)))
        if doc is not None:
            return doc.source
        try:
            return read_text(Path(path))
        except (OSError, ValueError):
            return None

    def document_location(self, path: str, document: Optional[int]) -> Optional[dict]:
        """{uri, range} of a document's first line (its open text, else the file on disk)."""
        from ..features.lineage import document_location

        return document_location(path, document, lambda p: self.parse_path(Path(p)), self.position_encoding())

    def error_location(self, error: dict) -> Optional[dict]:
        from ..features.lineage import error_location

        return error_location(error, lambda p: self.parse_path(Path(p)), self.position_encoding())
