"""Semantic tokens of a 2,000-line defs.yaml full of templates: the feature function as the server calls it.

Usage: .venv/bin/python benchmarks/semantic_tokens.py [--samples N]

The file is 40 documents of 50 lines, a template on most value lines (attributes, env vars with
filters, calls with string literals, template vars, a block scalar with a multi-line string). Measured:
`semanticTokens/full` cold (Jinja's lexer on every string, no cache: as when the file is opened), after
an edit to one document (only it is read again: each document's tokens are cached by its text; its
parse and line index are the server's, once per version, and not timed), unchanged, and `/range` over
one screen (60 lines).
Then the same over stdio from the real server (`python -m dagster_components_ls`, VS Code's client
capabilities, the file in a temporary folder): `full` right after a one-line edit (what an editor asks
after each keystroke: that string lexed again, the document parsed again) and `/range` over a screen.
Prints median and p99 in ms and the number of tokens. The goal to read it against: 50 ms for full.
"""

from __future__ import annotations

import os
import sys

# benchmarks/typing.py shares its name with the standard library's `typing`: as a script, this
# folder comes first on sys.path, so it leaves before anything imports `typing`.
if sys.path and os.path.abspath(sys.path[0] or ".") == os.path.dirname(os.path.abspath(__file__)):
    sys.path.pop(0)

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient
from pytest_lsp import client_capabilities

from dagster_components_ls.features import semantic_tokens as semantic_tokens_module
from dagster_components_ls.features.semantic_tokens import semantic_tokens
from dagster_components_ls.model.context import CheckContext
from dagster_components_ls.model.documents import parse_file
from dagster_components_ls.model.positions import LineIndex, Span
from dagster_components_ls.model.template_tokens import template_tokens

DOCUMENT = """type: dagster_dbt.DbtProjectComponent
template_vars_module: .template_vars
requirements:
  env:
    - BUCKET_{i}
attributes:
  project: "{{{{ context.project_root }}}}/dbt_{i}"
  select: "tag:{{{{ env.SELECT_{i} | lower }}}}"
  exclude: "{{{{ env('EXCLUDE_{i}', 'none') }}}}"
  translation:
    key: "dbt/{{{{ node.name }}}}_{i}"
    group_name: "{{{{ team_prefix ~ '_' ~ node.config.materialized }}}}"
    description: |
      Model {{{{ node.name | upper }}}} of {{{{ 'project
      {i}' }}}} built by {{{{ context.load_component("x/{i}") }}}}
    tags:
      owner: "{{{{ owner_for('dbt', {i}) }}}}"
      tier: "{{{{ 1 + {i} * 2 }}}}"
      kind: plain
  cli_args:
    - build
    - "--vars"
    - "{{{{ dict(day=env.DAY_{i}) | tojson }}}}"
    - "--target"
    - "{{{{ env.TARGET | default('dev') }}}}"
post_processing:
  assets:
    - target: "*"
      attributes:
        group_name: "{{{{ team_prefix }}}}"
        tags:
          bucket: "s3://{{{{ env.BUCKET_{i} }}}}/{{{{ context.project_root }}}}"
          note: "{{# a comment #}} {{{{ monday_morning }}}}"
    - target: "key:dbt/a_{i}"
      operation: merge
      attributes:
        owners:
          - "team:{{{{ research_owner }}}}"
        kinds:
          - "{{{{ 'dbt' if {i} % 2 else 'duckdb' }}}}"
        metadata:
          a: "{{{{ a_{i}.b.c }}}}"
          b: "{{{{ [1, 2, 3] | join(',') }}}}"
          c: "{{{{ x is defined and x is not none }}}}"
          d: "{{{{ datetime.timedelta(days={i}) }}}}"
          e: no template here
          f: "{{{{ dg.AutomationCondition.eager() }}}}"
          g: "{{{{ '%s-%s' | format(1, 2) }}}}"
          h: "{{{{ env.H_{i} ~ env.I_{i} }}}}"
          i: "{{{{ range(3) | list | length }}}}"
"""


def build(documents: int = 40) -> str:
    return "---\n".join(DOCUMENT.format(i=i) for i in range(documents))


def measure(samples: int, work: Callable[[], object], before: Callable[[], object] = lambda: None) -> list[float]:
    out = []
    for _ in range(samples):
        before()
        start = time.perf_counter()
        work()
        out.append((time.perf_counter() - start) * 1000)
    return out


def report(name: str, times: list[float]) -> None:
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    print(f"{name:<34} median {statistics.median(times):7.2f} ms   p99 {p99:7.2f} ms   n={len(times)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=50)
    args = parser.parse_args()
    text = build()
    ctx = CheckContext(registry=None)
    index = LineIndex(text)
    parsed = parse_file(text)
    lines = text.count("\n")
    tokens = len(semantic_tokens(parsed, index, ctx).data) // 5
    print(f"{lines} lines, {len(parsed.documents)} documents, {tokens} tokens")

    def cold() -> None:
        template_tokens.cache_clear()
        semantic_tokens_module._document_tokens.cache_clear()

    report("full, cold (every string lexed)", measure(args.samples, lambda: semantic_tokens(parsed, index, ctx), cold))
    # One keystroke in document 20: that document is parsed and read again, the others come from the cache.
    edits = iter(text.replace("EXCLUDE_20", f"EXCLUDE_20{'x' * (n + 1)}") for n in range(args.samples))
    edited: list[tuple] = []

    def edit() -> None:
        changed = next(edits)
        edited[:] = [(parse_file(changed), LineIndex(changed))]

    report(
        "full, after a 1-document edit",
        measure(args.samples, lambda: semantic_tokens(edited[0][0], edited[0][1], ctx), edit),
    )
    report("full, unchanged", measure(args.samples, lambda: semantic_tokens(parsed, index, ctx)))
    screen = Span(index.line_start(1000), index.line_start(1060))
    report("range, 60 lines", measure(args.samples, lambda: semantic_tokens(parsed, index, ctx, screen)))
    asyncio.run(over_stdio(text, args.samples))


async def over_stdio(text: str, samples: int) -> None:
    with tempfile.TemporaryDirectory(prefix="semtok-bench-") as folder:
        path = Path(folder, "defs.yaml")
        path.write_text(text)
        client = LanguageClient("semantic-tokens-benchmark", "1")
        for method in (types.CLIENT_REGISTER_CAPABILITY, types.WINDOW_WORK_DONE_PROGRESS_CREATE):
            client.feature(method)(lambda params: None)
        for method in (types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS, types.WINDOW_LOG_MESSAGE, types.PROGRESS):
            client.feature(method)(lambda params: None)
        client.feature(types.WINDOW_SHOW_MESSAGE)(lambda params: None)
        client.feature("dagster/status")(lambda params: None)
        env = {**os.environ, "DAGSTER_COMPONENTS_LS_CACHE": str(Path(folder, "cache"))}
        await client.start_io(sys.executable, "-m", "dagster_components_ls", env=env, cwd=folder)
        drain = asyncio.ensure_future(client._server.stderr.read())  # a pipe someone must empty
        await client.initialize_async(
            types.InitializeParams(
                capabilities=client_capabilities("visual-studio-code"),
                root_uri=Path(folder).as_uri(),
                initialization_options={"lineage": {"enabled": False}},
            )
        )
        client.initialized(types.InitializedParams())
        uri = path.as_uri()
        item = types.TextDocumentItem(uri=uri, language_id="yaml", version=1, text=text)
        client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=item))
        document = types.TextDocumentIdentifier(uri=uri)
        await client.text_document_semantic_tokens_full_async(types.SemanticTokensParams(text_document=document))
        line = text.split("\n").index("  exclude: \"{{ env('EXCLUDE_20', 'none') }}\"")
        edited, screen = (
            [],
            types.Range(start=types.Position(line=1000, character=0), end=types.Position(line=1060, character=0)),
        )
        for version in range(2, samples + 2):
            # One keystroke on a templated line: `none` -> `nonf` -> `none`..., as the editor sends it.
            letter = "ef"[version % 2]
            change = types.TextDocumentContentChangePartial(
                range=types.Range(
                    start=types.Position(line=line, character=34), end=types.Position(line=line, character=35)
                ),
                text=letter,
            )
            client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                    content_changes=[change],
                )
            )
            start = time.perf_counter()
            await client.text_document_semantic_tokens_full_async(types.SemanticTokensParams(text_document=document))
            edited.append((time.perf_counter() - start) * 1000)
        ranged = []
        for _ in range(samples):
            start = time.perf_counter()
            await client.text_document_semantic_tokens_range_async(
                types.SemanticTokensRangeParams(text_document=document, range=screen)
            )
            ranged.append((time.perf_counter() - start) * 1000)
        report("server: full after a 1-line edit", edited)
        report("server: range, 60 lines", ranged)
        await client.shutdown_async(None)
        client.exit(None)
        await client.stop()
        drain.cancel()


if __name__ == "__main__":
    main()
