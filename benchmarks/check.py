"""`check` (warm registry cache) against `dg check yaml` on the same project, timed in the same run.

Usage: .venv/bin/python benchmarks/check.py [--runs N] [--project PATH]
Prints median, p99 and peak memory (max RSS of the process tree) for both, and the ratio of medians.
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
import subprocess
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

# Runs a command and prints the peak RSS (KiB) of its process tree, read from the kernel.
_MEASURE = (
    "import resource, subprocess, sys; "
    "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
    "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def measure(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, int, int]:
    """(seconds, exit code, peak RSS in KiB) of one run."""
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", _MEASURE, *command], cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    code, rss = out.stdout.split()
    return elapsed, int(code), int(rss)


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--project", type=Path, default=REPO / "examples" / "acme_analytics")
    args = parser.parse_args()
    project = args.project.resolve()
    cache = tempfile.mkdtemp(prefix="dcls-bench-")
    env = {**os.environ, "DAGSTER_COMPONENTS_LS_CACHE": cache, "PATH": f"{BIN}:{os.environ.get('PATH', '')}"}
    ours = [str(BIN / "dagster-components-ls"), "check", str(project)]
    theirs = [str(BIN / "dg"), "check", "yaml"]

    cold = measure(ours, project, env)  # fills the registry cache
    rows = []
    for name, command in (("dagster-components-ls check (warm)", ours), ("dg check yaml", theirs)):
        runs = [measure(command, project, env) for _ in range(args.runs)]
        times = [t for t, _, _ in runs]
        rows.append((name, statistics.median(times), p99(times), max(r for _, _, r in runs), {c for _, c, _ in runs}))

    print(f"project: {project}  runs: {args.runs}  (cold check, filling the cache: {cold[0]:.2f} s)")
    print(f"{'command':<38} {'median s':>9} {'p99 s':>8} {'peak RSS MiB':>13} {'exit':>5}")
    for name, median, tail, rss, codes in rows:
        print(f"{name:<38} {median:>9.3f} {tail:>8.3f} {rss / 1024:>13.1f} {','.join(map(str, sorted(codes))):>5}")
    print(f"speed-up (median): {rows[1][1] / rows[0][1]:.1f}x")


if __name__ == "__main__":
    main()
