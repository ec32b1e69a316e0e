"""dbt selections: the worker's `dbt_selection` call (dagster-dbt's own engine) and the answers served from memory.

Usage: .venv/bin/python benchmarks/dbt_selections.py [--calls N] [--nodes N]

On a temp copy of examples/acme_analytics whose dbt state the real worker prepares once (dbt parse),
times the worker's first and warm `dbt_selection` calls (each a new selection string, as typing makes
them), then completion, hover and the problems of one document from the last answer in memory, on the
example's manifest and on a synthetic vocabulary of --nodes models (completion then sends at most 200
items). Prints median, p99 and the number of samples; asserts nothing.
"""

from __future__ import annotations

import os
import sys

# benchmarks/typing.py shares its name with the standard library's `typing` (see latency.py).
if sys.path and os.path.abspath(sys.path[0] or ".") == os.path.dirname(os.path.abspath(__file__)):
    sys.path.pop(0)

import argparse  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from dagster_components_ls.checks.dbt_selection import selection_problems  # noqa: E402
from dagster_components_ls.features.dbt_selection import dbt_completions, dbt_hover  # noqa: E402
from dagster_components_ls.model.documents import parse_file  # noqa: E402
from dagster_components_ls.model.positions import LineIndex  # noqa: E402
from dagster_components_ls.project.worker_client import WorkerProcess  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "acme_analytics"
DEFS = Path("src/acme_analytics/defs/jaffle_shop/defs.yaml")
SELECTION = '  select: "tag:daly +orders"\n'


def row(name: str, seconds: list[float], unit: str = "ms") -> str:
    scale = 1000 if unit == "ms" else 1
    ordered = sorted(seconds)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"{name:<58} {len(seconds):>5} {statistics.median(seconds) * scale:>9.2f} {p99 * scale:>9.2f} {unit}"


def timed(fn: Callable[[], Any], samples: int) -> list[float]:
    found = []
    for _ in range(samples):
        start = time.perf_counter()
        fn()
        found.append(time.perf_counter() - start)
    return found


def synthetic(answer: dict[str, Any], nodes: int) -> dict[str, Any]:
    """The answer with a vocabulary of `nodes` models over 40 folders and 50 tags."""
    [path] = answer["manifests"]
    models = [
        {
            "unique_id": f"model.shop.model_{i}",
            "name": f"model_{i}",
            "resource_type": "model",
            "package": "shop",
            "path": f"models/area_{i % 40}/model_{i}.sql",
            "tags": [f"tag_{i % 50}"],
            "materialized": "table",
            "source_name": None,
            "description": f"Model {i}, one row per thing",
        }
        for i in range(nodes)
    ]
    return {**answer, "manifests": {path: {"nodes": models, "selectors": []}}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--nodes", type=int, default=3000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dcls-bench-dbt-") as tmp:
        root = Path(tmp) / "acme_analytics"
        shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".local_defs_state", "target", "*.duckdb"))
        path = root / DEFS
        with WorkerProcess(Path(sys.executable), root) as worker:
            worker.call("load", {"project_root": str(root), "prepare": True}, timeout=600)  # dbt parse, once
            calls, answer = [], {}
            for n in range(args.calls):
                document = {"index": 0, "select": f"tag:daly +orders {n}", "exclude": None, "selector": None}
                start = time.perf_counter()
                answer = worker.call(
                    "dbt_selection", {"project_root": str(root), "path": str(path), "documents": [document]}
                )
                calls.append(time.perf_counter() - start)
        text = path.read_text().replace("  translation:", SELECTION + "  translation:", 1)
        answer["results"][0]["fields"]["select"]["value"] = "tag:daly +orders"
        parsed, index = parse_file(text), LineIndex(text)
        offset = text.index("+orders") + 1
        print(f"{'measure':<58} {'n':>5} {'median':>9} {'p99':>9}")
        print(row("worker dbt_selection, first call", calls[:1], "s"))
        print(row("worker dbt_selection, warm (a new selection each)", calls[1:], "s"))
        big = synthetic(answer, args.nodes)
        for name, one in (("example manifest", answer), (f"{args.nodes} models", big)):
            print(row(f"completion after '+', {name}", timed(lambda: dbt_completions(parsed, offset, index, one), 50)))
            print(row(f"hover on the value, {name}", timed(lambda: dbt_hover(parsed, offset, index, one), 50)))
            print(row(f"problems with did-you-mean, {name}", timed(lambda: selection_problems(parsed, one), 50)))


if __name__ == "__main__":
    main()
