"""Semantic tokens of a 2,000-line defs.yaml full of templates: the feature function as the server calls it.

Usage: .venv/bin/python benchmarks/semantic_tokens.py [--samples N]

The file is 40 documents of 50 lines, a template on most value lines (attributes, env vars with
filters, calls with string literals, template vars, a block scalar with a multi-line string). Measured:
`semanticTokens/full` cold (Jinja's lexer on every string: the per-string cache cleared before each
sample, as after an edit to every line) and warm (the cache kept, as after an edit to one line), and
`/range` over one screen (60 lines); the parse is the server's per-version one and is timed apart.
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
import statistics
import time
from collections.abc import Callable

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
    report(
        "full, cold (every string lexed)",
        measure(args.samples, lambda: semantic_tokens(parsed, index, ctx), template_tokens.cache_clear),
    )
    report("full, warm (strings cached)", measure(args.samples, lambda: semantic_tokens(parsed, index, ctx)))
    screen = Span(index.line_start(1000), index.line_start(1060))
    report("range, 60 lines, warm", measure(args.samples, lambda: semantic_tokens(parsed, index, ctx, screen)))


if __name__ == "__main__":
    main()
