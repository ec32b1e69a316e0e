"""Typing fuzz: real component files typed into the real server character by character and edited at
random; every completion and hover is answered, and the typed document ends with the diagnostics of a
fresh open. CI runs a seeded sample; benchmarks/typing.py runs every file."""

import random

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient
from typing_support import CORPUS, Tally, Typist, corpus_files, example_files

SEED = 20261126
CORPUS_SAMPLE = 6
CHARACTERS_PER_FILE = 700
RANDOM_EDITS = 120

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not checked out beside the project")


def sample() -> list:
    rng = random.Random(SEED)
    examples = [p for p in example_files() if "acme_analytics" in p.parts]
    return examples + rng.sample(corpus_files(), CORPUS_SAMPLE)


@pytest.mark.asyncio(loop_scope="function")
async def test_every_prefix_is_answered_and_ends_like_a_fresh_open(client: LanguageClient, tmp_path):
    tally = Tally()
    for number, source in enumerate(sample()):
        text = source.read_text(encoding="utf-8", errors="replace")[:CHARACTERS_PER_FILE]
        # Corpus files are typed as lone files (their own projects are not installed here); the
        # examples in place, inside their dg project.
        target = source if "examples" in source.parts else tmp_path / str(number) / source.name
        target.parent.mkdir(parents=True, exist_ok=True)
        typist = Typist(client, target.as_uri(), tally)
        typist.open()
        await typist.type_out(text)
        await typist.compare_with_fresh_open()
    assert (tally.failures, tally.mismatches) == ([], [])
    assert tally.requests > 2 * 3000
    assert tally.with_diagnostics >= 1  # the comparison is not only of empty lists


@pytest.mark.asyncio(loop_scope="function")
async def test_random_edits_are_answered_and_end_like_a_fresh_open(client: LanguageClient, tmp_path):
    tally = Tally()
    rng = random.Random(SEED)
    for number, source in enumerate(rng.sample(corpus_files(), 3)):
        target = tmp_path / str(number) / "defs.yaml"
        target.parent.mkdir(parents=True)
        typist = Typist(client, target.as_uri(), tally)
        typist.open(source.read_text(encoding="utf-8", errors="replace"))
        await typist.random_edits(rng, RANDOM_EDITS)
        await typist.compare_with_fresh_open()
    assert (tally.failures, tally.mismatches) == ([], [])
    assert tally.requests == 2 * (3 * RANDOM_EDITS + 6)
    assert tally.with_diagnostics == 3  # random edits break every document somewhere
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=(tmp_path / "0" / "defs.yaml").as_uri()),
            position=types.Position(line=0, character=0),
        )
    )
    assert hover is None  # closed documents are forgotten, and asking about one is no error
