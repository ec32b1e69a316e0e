"""Loading the real projects of ../shared/projects: our cold and warm load beside `dg list defs --json`.

Usage: .venv/bin/python benchmarks/real_projects.py [--runs N] [NAME ...]

Needs the projects built by ../shared/projects/setup.sh (the test suite's tests/real builds them).
Per project, in one run: `dg list defs --json` as its developer runs it (venv activated, env.sh
sourced); our cold load (a new worker in the project's venv: interpreter start, imports, load); our
warm load (the same worker after a save of a component file: what every refresh after the first
costs). Prints the asset counts too, which must be equal.
"""

from __future__ import annotations

import os
import sys

if sys.path and os.path.abspath(sys.path[0] or ".") == os.path.dirname(os.path.abspath(__file__)):
    sys.path.pop(0)  # benchmarks/typing.py would shadow the standard library's `typing`

import argparse
import json
import statistics
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "projects"
REAL_DIR = Path(os.environ.get("REAL_DIR", "/tmp/dagster-components-ls-projects"))
sys.path.insert(0, str(REPO / "server"))

from dagster_components_ls.project.worker_client import WorkerProcess, dg_environment  # noqa: E402


def project_env(name: str, root: Path) -> dict[str, str]:
    """The environment env.sh gives the project (sourced in bash), with its venv activated."""
    script = 'export VIRTUAL_ENV="$1/.venv" PATH="$1/.venv/bin:$PATH"; source "$2" >/dev/null; env -0'
    out = subprocess.run(
        ["bash", "-c", script, "env", str(root), str(SHARED / name / "env.sh")],
        capture_output=True,
        check=True,
        cwd=root,
    ).stdout
    return dict(item.split("=", 1) for item in out.decode().split("\0") if "=" in item)


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def measure(name: str, runs: int) -> None:
    truth = json.loads((REAL_DIR / name / "truth" / "truth.json").read_text())
    root = REAL_DIR / name / truth["project_root"]
    env = project_env(name, root)
    started = time.monotonic()
    listed = subprocess.run(["dg", "list", "defs", "--json"], cwd=root, env=env, capture_output=True, text=True)
    dg_seconds = time.monotonic() - started
    dg_assets = len(json.loads(listed.stdout)["assets"]) if listed.returncode == 0 else None
    python = root / ".venv" / "bin" / "python"
    component = next(
        p
        for p in sorted((root / "src").rglob("*"))
        if p.name in ("defs.yaml", "component.yaml") and ".local_defs_state" not in p.parts
    )
    text = component.read_text()
    with WorkerProcess(python, root, env=dg_environment(python, env)) as worker:
        started = time.monotonic()
        first = worker.call("load", {"project_root": str(root), "prepare": True}, timeout=600)
        cold = time.monotonic() - started
        warm = []
        for _ in range(runs):
            component.write_text(text)  # a save: the same text, a new mtime
            started = time.monotonic()
            worker.call("load", {"project_root": str(root), "prepare": True}, timeout=600)
            warm.append(time.monotonic() - started)
    ours = len(first.get("assets") or [])
    print(
        f"{name}: dg list defs --json {dg_seconds:.1f} s ({dg_assets} assets); ours cold {cold:.1f} s, "
        f"warm median {statistics.median(warm):.2f} s, p99 {p99(warm):.2f} s ({ours} assets, "
        f"{len(first.get('errors') or [])} errors); ratio dg / warm {dg_seconds / statistics.median(warm):.0f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", default=["p1-dagster-university", "p2-hooli-data-eng"])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    for name in args.names:
        measure(name, args.runs)


if __name__ == "__main__":
    main()
