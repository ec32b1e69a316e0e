"""What a scenario does in the editor that the end-to-end tests do not: complete and pick an item, apply a
quick fix or a scaffold's workspace edit the way an editor would."""

import asyncio
import re
from pathlib import Path

from e2e_support import TIMEOUT, summary, until
from lsprotocol import types
from pygls.uris import to_fs_path
from pytest_lsp import LanguageClient


class Editor:
    """One open document as an editor holds it: its text and version, changed only through the server's answers."""

    def __init__(self, client: LanguageClient, path: Path):
        self.client, self.path, self.uri = client, path, path.as_uri()
        self.text, self.version = path.read_text(), 1
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(uri=self.uri, language_id="yaml", version=1, text=self.text)
            )
        )

    def type(self, text: str, at: str | None = None) -> None:
        """Type `text` at the end of the document, or in place of the first `at`."""
        new = self.text + text if at is None else self.text.replace(at, text, 1)
        self.replace_all(new)

    def replace_all(self, text: str) -> None:
        self.text, self.version = text, self.version + 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=self.uri, version=self.version),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )

    def apply(self, edits: list[types.TextEdit]) -> None:
        """The edits made at once, as LSP says: every range refers to the text before any of them."""
        lines = self.text.split("\n")
        offsets = [0]
        for line in lines:
            offsets.append(offsets[-1] + len(line) + 1)

        def at(position: types.Position) -> int:
            return offsets[position.line] + position.character  # ASCII documents: UTF-16 units are characters

        text = self.text
        for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
            text = text[: at(edit.range.start)] + edit.new_text + text[at(edit.range.end) :]
        self.replace_all(text)

    def position(self, offset: int) -> types.Position:
        before = self.text[:offset].split("\n")
        return types.Position(line=len(before) - 1, character=len(before[-1]))

    async def complete(self, after: str | None = None) -> list[types.CompletionItem]:
        """The completion items where the user is typing: the end of the document, or after the last `after`."""
        at = len(self.text) if after is None else self.text.rindex(after) + len(after)
        result = await asyncio.wait_for(
            self.client.text_document_completion_async(
                types.CompletionParams(
                    text_document=types.TextDocumentIdentifier(uri=self.uri), position=self.position(at)
                )
            ),
            TIMEOUT,
        )
        return result.items if isinstance(result, types.CompletionList) else list(result or [])

    def choose(self, items: list[types.CompletionItem], label: str) -> None:
        """Accept the item with this label, as an editor does: its text edit, else its insert text."""
        item = next(i for i in items if i.label == label)
        if item.text_edit is not None:
            self.apply([types.TextEdit(range=item.text_edit.range, new_text=plain_text(item))])
        else:
            self.type(plain_text(item))

    async def quick_fix(self, diagnostic: types.Diagnostic) -> list[types.CodeAction]:
        actions = await asyncio.wait_for(
            self.client.text_document_code_action_async(
                types.CodeActionParams(
                    text_document=types.TextDocumentIdentifier(uri=self.uri),
                    range=diagnostic.range,
                    context=types.CodeActionContext(diagnostics=[diagnostic]),
                )
            ),
            TIMEOUT,
        )
        return [a for a in actions or [] if getattr(a, "kind", None) == types.CodeActionKind.QuickFix]

    def take(self, action: types.CodeAction) -> None:
        self.apply(action.edit.changes[self.uri])

    def save(self) -> None:
        """Write the text to disk and tell the server, which loads the definitions again."""
        self.path.write_text(self.text)
        self.client.text_document_did_save(
            types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=self.uri))
        )


def plain_text(item: types.CompletionItem) -> str:
    """An item's text with snippet tab stops (`$1`, `${1:x}`) resolved to their placeholders."""
    text = item.text_edit.new_text if item.text_edit is not None else (item.insert_text or item.label)
    if item.insert_text_format == types.InsertTextFormat.Snippet:
        text = re.sub(r"\$\{\d+:([^}]*)\}", r"\1", text)
        text = re.sub(r"\$\{?\d+\}?", "", text)
    return text


def write_applied_edits(client: LanguageClient) -> list[types.WorkspaceEdit]:
    """Answer `workspace/applyEdit` like an editor that saves at once: create each file and write its text.
    Returns the list the edits are recorded in."""
    edits: list[types.WorkspaceEdit] = []

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: types.ApplyWorkspaceEditParams):
        edits.append(params.edit)
        for change in params.edit.document_changes or []:
            if isinstance(change, types.TextDocumentEdit):
                path = Path(to_fs_path(change.text_document.uri))
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text("".join(e.new_text for e in change.edits))
        return types.ApplyWorkspaceEditResult(applied=True)

    return edits


def headlines(rows: list[tuple]) -> list[tuple]:
    """`summary` rows with only the first line of each message (a load error goes on with pydantic's details)."""
    return [(*row[:-1], row[-1].split("\n", 1)[0]) for row in rows]


async def settled(client: LanguageClient, uri: str, expected: list[tuple]) -> list[tuple]:
    """The document's diagnostics as `headlines` once they equal `expected` (worker results and loads come
    later than the keystroke ones), or as they are when the time is up."""
    await until(client, lambda: headlines(summary(client.diagnostics.get(uri, []))) == expected)
    return headlines(summary(client.diagnostics.get(uri, [])))
