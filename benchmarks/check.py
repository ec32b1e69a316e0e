"""`check`, cold and warm, against `dg check yaml` on the same projects, in one run; and the editor's
re-validation of one edited document.

Usage: .venv/bin/python benchmarks/check.py [--runs N] [--edits N] [NAME ...]

Projects (NAME; default all): `examples` (examples/acme_analytics, this venv's `dg`), `synthetic` (a
generated project like Dagster's open platform: 10 component files, 31 documents, 9 project-local
types whose modules import installed integrations; this venv's `dg`, with `src/` on PYTHONPATH since
it is not installed), and the real projects of ../shared/projects (`p1-dagster-university`,
`p2-hooli-data-eng`, built by its setup.sh: each in its own venv, env.sh sourced, `dg` from that venv,
ours with `--python <that venv's python>`). This checkout's code is measured (PYTHONPATH=server).
- cold: `check --no-cache` (a cache of its own, gone with the run: the registry is built, every
  document validated); warm: `check` with a cache one earlier run filled.
- editor: the server on the synthetic project, one open document; each timed edit makes a name
  uppercase, which only the component's own validator rejects, and the time is from the edit to the
  publish that has the `component-validation` error: the debounce plus the worker call (between two
  timed edits, one untimed edit makes the name valid again).
Prints medians of N runs, the ratios dg / ours, the exit codes (which must agree), and the editor's
median and p99.
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
import json
import shutil
import statistics
import subprocess
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SHARED = REPO.parent / "shared" / "projects"
REAL_DIR = Path(os.environ.get("REAL_DIR", "/tmp/dagster-components-ls-projects"))
REAL = ("p1-dagster-university", "p2-hooli-data-eng")
OURS = [sys.executable, "-m", "dagster_components_ls", "check"]
# Installed integrations the synthetic types import, as the open platform's custom components do.
INTEGRATIONS = ("dagster_dbt", "dagster_sling", "dagster_fivetran", "dagster_airbyte", "dagster_dlt")


@dataclass
class Subject:
    name: str
    root: Path
    env: dict[str, str]
    """The environment its developer runs dg in."""
    dg: list[str]
    python: str | None = None
    """Our --python, when the project has a venv of its own."""


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, int]:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start, done.returncode


def write_synthetic(root: Path, files: int = 10, documents: int = 31, kinds: int = 9) -> Path:
    """A dg project (not installed) of `files` component files holding `documents` documents of `kinds` types."""
    package = root / "src" / "synth"
    for folder in (package / "components", package / "defs"):
        folder.mkdir(parents=True)
        (folder / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (root / "pyproject.toml").write_text(
        textwrap.dedent("""\
        [project]
        name = "synth"
        version = "0.1.0"

        [tool.dg]
        directory_type = "project"

        [tool.dg.project]
        root_module = "synth"
        registry_modules = ["synth.components.*"]
        """)
    )
    for k in range(kinds):
        (package / "components" / f"kind{k}.py").write_text(
            textwrap.dedent(f'''\
            """Synthetic component {k}."""

            from typing import Literal

            import dagster as dg
            import {INTEGRATIONS[k % len(INTEGRATIONS)]}  # noqa: F401
            from pydantic import field_validator


            class Kind{k}(dg.Component, dg.Model, dg.Resolvable):
                """Kind {k}."""

                name: str
                mode: Literal["fast", "slow"] = "fast"
                retries: int = 0

                @field_validator("name")
                @classmethod
                def _lowercase(cls, value: str) -> str:
                    if value != value.lower():
                        raise ValueError("name must be lowercase")
                    return value

                def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
                    return dg.Definitions()
            ''')
        )
    n = 0
    for f in range(files):
        docs = []
        for _ in range(documents // files + (f < documents % files)):
            docs.append(
                f"type: synth.components.kind{n % kinds}.Kind{n % kinds}\nattributes:\n"
                f"  name: thing_{n}\n  mode: fast\n  retries: {n % 3}\n"
            )
            n += 1
        (package / "defs" / f"part{f}").mkdir()
        (package / "defs" / f"part{f}" / "defs.yaml").write_text("---\n".join(docs))
    return root


def project_env(name: str, root: Path) -> dict[str, str]:
    """The environment env.sh gives the project (sourced in bash), with its venv activated."""
    script = 'export VIRTUAL_ENV="$1/.venv" PATH="$1/.venv/bin:$PATH"; unset PYTHONHOME; source "$2" >/dev/null; env -0'
    out = subprocess.run(
        ["bash", "-c", script, "env", str(root), str(SHARED / name / "env.sh")],
        capture_output=True,
        check=True,
        cwd=root,
    ).stdout
    return dict(item.split("=", 1) for item in out.decode().split("\0") if "=" in item)


def subjects(names: list[str], work: Path) -> list[Subject]:
    here = {**os.environ, "PATH": f"{BIN}:{os.environ.get('PATH', '')}"}
    found = []
    for name in names:
        if name == "examples":
            found.append(Subject(name, REPO / "examples" / "acme_analytics", here, [str(BIN / "dg"), "check", "yaml"]))
        elif name == "synthetic":
            root = write_synthetic(work / "synthetic")
            found.append(
                Subject(name, root, {**here, "PYTHONPATH": str(root / "src")}, [str(BIN / "dg"), "check", "yaml"])
            )
        elif name in REAL:
            truth = REAL_DIR / name / "truth" / "truth.json"
            if not truth.is_file():
                print(f"{name}: not built (run ../shared/projects/setup.sh {name}); skipped")
                continue
            root = REAL_DIR / name / json.loads(truth.read_text())["project_root"]
            env = project_env(name, root)
            found.append(
                Subject(
                    name,
                    root,
                    env,
                    [str(root / ".venv" / "bin" / "dg"), "check", "yaml"],
                    str(root / ".venv" / "bin" / "python"),
                )
            )
        else:
            raise SystemExit(f"unknown project {name!r}: examples, synthetic, {', '.join(REAL)}")
    return found


def measure(subject: Subject, runs: int, work: Path) -> dict:
    ours_env = {
        **subject.env,
        "PYTHONPATH": os.pathsep.join(p for p in (str(REPO / "server"), subject.env.get("PYTHONPATH")) if p),
    }
    ours = [*OURS, *(["--python", subject.python] if subject.python else []), "."]
    cache = work / f"cache-{subject.name}"
    warm_env = {**ours_env, "DAGSTER_COMPONENTS_LS_CACHE": str(cache)}
    figures: dict[str, list[tuple[float, int]]] = {"dg": [], "cold": [], "warm": []}
    timed(ours, subject.root, warm_env)  # fills the warm cache
    for _ in range(runs):  # interleaved, so a busy moment of the machine costs each the same
        figures["dg"].append(timed(subject.dg, subject.root, subject.env))
        figures["cold"].append(timed([*ours[:-1], "--no-cache", "."], subject.root, ours_env))
        figures["warm"].append(timed(ours, subject.root, warm_env))
    return {
        kind: (statistics.median(t for t, _ in values), sorted({c for _, c in values}))
        for kind, values in figures.items()
    }


async def editor_revalidation(root: Path, edits: int, work: Path) -> list[float]:
    """Seconds from an edit to the diagnostics with its validation, `edits` times, on a warm server."""
    sys.path.append(str(REPO / "benchmarks"))  # after `typing` is imported: latency.py is safe now
    from latency import Editor, ServerSpec, Target

    path = root / "src" / "synth" / "defs" / "part0" / "defs.yaml"
    text = path.read_text()
    line = text.splitlines().index("  name: thing_0")
    spec = ServerSpec(
        name="dagster-components-ls",
        command=[sys.executable, "-m", "dagster_components_ls"],
        env={
            **os.environ,
            "PYTHONPATH": str(REPO / "server"),
            "DAGSTER_COMPONENTS_LS_CACHE": str(work / "cache-editor"),
        },
        initialization_options={"python": sys.executable, "lineage": {"enabled": False}},
        configuration={"dagsterComponents": {"python": sys.executable, "lineage": {"enabled": False}}},
        versioned_diagnostics=True,
    )
    editor = await Editor.spawn(spec, root)
    target = Target(path, text, line, 0, 0)

    def flagged() -> bool:
        return any(d.code == "component-validation" for d in editor.diagnostics.get(target.uri, []))

    async def until(condition) -> None:
        async with editor.changed:
            await editor._wait(editor.changed.wait_for(condition), "validation diagnostics")

    try:
        editor.open(target)
        current = "thing_0"
        seconds = []
        for i in range(2 * edits + 2):  # the first two warm the worker (its first call imports the types)
            # An uppercase name is the validator's error: only the worker finds it, so only those
            # edits are timed (the keystroke publish right after a fix already lacks the error).
            wanted = i % 2 == 0
            new = f"Thing_{i}" if wanted else f"thing_{i}"
            start = time.perf_counter()
            editor.change(target, line, 8, 8 + len(current), new)
            current = new
            await until(lambda: flagged() == wanted)
            if i >= 2 and wanted:
                seconds.append(time.perf_counter() - start)
        return seconds
    finally:
        await editor.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", default=["examples", "synthetic", *REAL])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--edits", type=int, default=20)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="dcls-bench-check-"))
    try:
        rows = []
        for subject in subjects(args.names, work):
            result = measure(subject, args.runs, work)
            rows.append((subject, result))
        print(f"median of {args.runs} runs (seconds); ratio = dg check yaml / ours (above 1: ours is faster)")
        print(
            f"{'project':<24} {'dg check yaml':>13} {'ours cold':>10} {'ours warm':>10} {'cold ratio':>10} "
            f"{'warm ratio':>10}  exit dg/cold/warm"
        )
        for subject, r in rows:
            dg, cold, warm = r["dg"][0], r["cold"][0], r["warm"][0]
            codes = "/".join(",".join(map(str, r[k][1])) for k in ("dg", "cold", "warm"))
            print(
                f"{subject.name:<24} {dg:>13.2f} {cold:>10.2f} {warm:>10.2f} {dg / cold:>9.2f}x {dg / warm:>9.1f}x  {codes}"
            )
        if args.edits and (synthetic := next((s for s, _ in rows if s.name == "synthetic"), None)):
            seconds = asyncio.run(editor_revalidation(synthetic.root, args.edits, work))
            print(
                f"editor, one edited document re-validated (synthetic, warm worker, {len(seconds)} edits): "
                f"median {statistics.median(seconds):.3f} s, p99 {p99(seconds):.3f} s"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
