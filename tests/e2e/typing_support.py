"""Typing replay for the fuzz test and benchmarks/typing.py: every prefix of a file, or seeded random
edits, sent to the real server as incremental didChange, with a completion and a hover at the cursor
after each; every request must be answered."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

from lsprotocol import types

REQUEST_TIMEOUT = 10.0
# Codes the worker computes after typing pauses (their timing varies); the comparison of the typed
# and the freshly opened document uses the keystroke-path codes only.
WORKER_CODES = ("component-validation", "worker-error", "policy-config", "load-error", "policy:acme-naming")
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "realworld"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@dataclass
class Tally:
    requests: int = 0
    failures: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    compared: int = 0
    with_diagnostics: int = 0
    """Compared documents whose final text has keystroke diagnostics (the comparison is not of empties)."""


def corpus_files() -> list[Path]:
    """The component YAML files of the real-world corpus (not its Python or manifest)."""
    return sorted(p for p in CORPUS.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def example_files() -> list[Path]:
    return sorted(
        p
        for p in EXAMPLES.rglob("*")
        if p.name in ("defs.yaml", "component.yaml") and ".local_defs_state" not in p.parts
    )


def position_at(text: str, offset: int) -> types.Position:
    """LSP position (UTF-16) of a code-point offset."""
    before = text[:offset]
    line = before.count("\n")
    column = before[before.rfind("\n") + 1 :]
    return types.Position(line=line, character=len(column.encode("utf-16-le")) // 2)


class Typist:
    """One document in one server, edited like a person types."""

    def __init__(self, client, uri: str, tally: Tally) -> None:
        self.client, self.uri, self.tally = client, uri, tally
        self.text, self.version = "", 1

    def open(self, text: str = "") -> None:
        self.text, self.version = text, 1
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(uri=self.uri, language_id="yaml", version=1, text=text)
            )
        )

    def close(self) -> None:
        self.client.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=self.uri))
        )

    def edit(self, start: int, end: int, new: str) -> None:
        """Replace text[start:end] with `new`, as an incremental change."""
        change = types.TextDocumentContentChangePartial(
            range=types.Range(start=position_at(self.text, start), end=position_at(self.text, end)), text=new
        )
        self.text = self.text[:start] + new + self.text[end:]
        self.version += 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=self.uri, version=self.version),
                content_changes=[change],
            )
        )

    async def ask(self, offset: int) -> None:
        """A completion and a hover at the offset; an error response, exception or timeout is a failure."""
        position = position_at(self.text, offset)
        document = types.TextDocumentIdentifier(uri=self.uri)
        for name, request in (
            (
                "completion",
                self.client.text_document_completion_async(
                    types.CompletionParams(text_document=document, position=position)
                ),
            ),
            (
                "hover",
                self.client.text_document_hover_async(types.HoverParams(text_document=document, position=position)),
            ),
        ):
            started = time.perf_counter()
            self.tally.requests += 1
            try:
                await asyncio.wait_for(request, REQUEST_TIMEOUT)
            except Exception as exc:  # noqa: BLE001 - every kind of failure is counted and shown
                self.tally.failures.append(
                    f"{self.uri} v{self.version} {name} at {position.line}:{position.character}: "
                    f"{type(exc).__name__}: {exc}"
                )
            self.tally.latencies_ms.append((time.perf_counter() - started) * 1000)

    async def type_out(self, text: str, stride: int = 1) -> None:
        """Every prefix of `text`, one character at a time (requests after every `stride`-th)."""
        for i, char in enumerate(text):
            self.edit(len(self.text), len(self.text), char)
            if i % stride == 0 or i == len(text) - 1:
                await self.ask(len(self.text))

    async def random_edits(self, rng: random.Random, count: int) -> None:
        """Deletions, insertions of typed fragments and of pasted lines, at random places."""
        fragments = [": ", "\n", "  ", "- ", "{{ ", " }}", "'", '"', "[", "]", "{", "}", "#", "---\n", "é", "😀", "\t"]
        for _ in range(count):
            size = len(self.text)
            start = rng.randint(0, size)
            kind = rng.random()
            if kind < 0.35 and size:
                end = min(size, start + rng.randint(1, 12))
                self.edit(start, end, "")
            elif kind < 0.75:
                self.edit(start, start, rng.choice(fragments))
            else:
                lines = self.text.split("\n")
                self.edit(start, start, rng.choice(lines) + "\n")
            await self.ask(min(len(self.text), start + 1))

    async def keystroke_diagnostics(self) -> list[tuple]:
        """The published keystroke-path diagnostics once the server has handled everything sent."""
        await self.ask(0)  # answered after every change before it was applied
        await asyncio.sleep(0.3)  # the 10 ms debounce, with room
        return sorted(
            (d.code, d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character, d.message)
            for d in self.client.diagnostics.get(self.uri, ())
            if not str(d.code).startswith(WORKER_CODES)
        )

    async def compare_with_fresh_open(self) -> None:
        typed = await self.keystroke_diagnostics()
        final = self.text
        self.close()
        self.client.diagnostics.pop(self.uri, None)
        self.open(final)
        fresh = await self.keystroke_diagnostics()
        self.tally.compared += 1
        self.tally.with_diagnostics += bool(fresh)
        if typed != fresh:
            self.tally.mismatches.append(f"{self.uri}: typed {typed} != fresh {fresh}")
        self.close()
