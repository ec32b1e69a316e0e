"""Every benchmark in one run, then one table of our figures against their baselines.

Usage: .venv/bin/python benchmarks/all.py [--quick]

Runs latency.py (against yaml-language-server), check.py (against `dg check yaml`), lineage.py
(against `dg list defs --json`), scale.py, pathological.py (against an ordinary line) and typing.py,
each as its own process (their own output is
shown as it comes), then prints the summary table that benchmarks/README.md records. `--quick` runs
fewer repetitions and a strided typing pass (minutes instead of about an hour).
"""

from __future__ import annotations

import os
import sys

# benchmarks/typing.py shares its name with the standard library's `typing`: as a script, this
# folder comes first on sys.path, so it leaves before anything imports `typing`.
if sys.path and os.path.abspath(sys.path[0] or ".") == os.path.dirname(os.path.abspath(__file__)):
    sys.path.pop(0)

import argparse  # noqa: E402
import re  # noqa: E402
import subprocess  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent


def run(script: str, *args: str) -> str:
    """The script's stdout (also echoed); its stderr goes straight to ours."""
    print(f"\n=== {script} {' '.join(args)}", flush=True)
    done = subprocess.run([sys.executable, str(HERE / script), *args], stdout=subprocess.PIPE, text=True)
    print(done.stdout, flush=True)
    if done.returncode != 0:
        raise SystemExit(f"{script} failed with exit code {done.returncode}")
    return done.stdout


def number(pattern: str, text: str) -> float:
    found = re.search(pattern, text, re.M)
    if found is None:
        raise SystemExit(f"no match for {pattern!r} in:\n{text}")
    return float(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    quick = parser.parse_args().quick
    rows: list[tuple[str, str, str, str]] = []

    latency = run("latency.py", *(["--samples", "10", "--spawns", "3"] if quick else []))
    row = re.compile(r"^(.{36}) (.{10}) +\d+ +([\d.]+) +[\d.]+ +([\d.]+) +[\d.]+ ")
    for line in latency.splitlines():
        found = row.match(line)
        if found:
            measure, label, ours, theirs = (
                found.group(1).strip(),
                found.group(2).strip(),
                *map(float, found.groups()[2:]),
            )
            rows.append(
                (
                    f"{measure} ({label}), ms",
                    f"{ours:g}",
                    f"yaml-language-server {theirs:g}",
                    f"{theirs / ours:.1f}x" if ours else "-",
                )
            )

    check = run("check.py", "--runs", "2" if quick else "5", "--edits", "10" if quick else "20")
    for name, dg, cold, warm in re.findall(r"^(\S+) +([\d.]+) +([\d.]+) +([\d.]+) +[\d.]+x", check, re.M):
        for kind, ours in (("cold", float(cold)), ("warm", float(warm))):
            rows.append(
                (
                    f"check {name} ({kind}), s",
                    f"{ours:.2f}",
                    f"dg check yaml {float(dg):.2f}",
                    f"{float(dg) / ours:.1f}x",
                )
            )
    edit = number(r"^editor, one edited document re-validated .*: median ([\d.]+) s", check)
    rows.append(("re-validate one edited document, s", f"{edit:.2f}", "goal 0.5", f"{0.5 / edit:.1f}x under"))

    lineage = run("lineage.py", *(["--runs", "5", "--cold-runs", "1", "--dg-runs", "1"] if quick else []))
    server = number(r"^ours: server, didSave -> lineage ready\s+\d+\s+([\d.]+)", lineage)
    dg = number(r"^dg list defs --json\s+\d+\s+([\d.]+)", lineage)
    rows.append(
        ("lineage refresh after a save, s", f"{server:.2f}", f"dg list defs --json {dg:.1f}", f"{dg / server:.0f}x")
    )

    scale = run("scale.py", *(["--files", "300"] if quick else []))
    symbols = number(r"workspace/symbol with all \d+ component instances: (\d+) ms", scale)
    completion = number(r"asset-key completion with \d+ keys of the project: (\d+) ms", scale)
    rss = number(r"server RSS \(workers excluded\): [\d.]+ MiB indexed, ([\d.]+) MiB", scale)
    rows.append(
        ("scale: spawn -> workspace symbols, ms", f"{symbols:.0f}", "goal 2000", f"{2000 / symbols:.1f}x under")
    )
    rows.append(
        (
            "scale: spawn -> asset-key completion, ms",
            f"{completion:.0f}",
            "goal 2000",
            f"{2000 / completion:.1f}x under" if completion <= 2000 else "over",
        )
    )
    rows.append(("scale: server RSS, MiB", f"{rss:.0f}", "goal 150", f"{150 / rss:.1f}x under"))

    pathological = run("pathological.py", *(["--samples", "5"] if quick else []))
    ordinary = number(r"^ordinary line \(desc\)\s+([\d.]+) /", pathological)
    spaces = number(r"^100,000 spaces, no colon\s+([\d.]+) /", pathological)
    megabyte = number(r"^1 MB of spaces, no colon\s+([\d.]+) /", pathological)
    rows.append(
        (
            "completion on a line of 100,000 / 1 MB spaces, ms",
            f"{spaces:.1f} / {megabyte:.1f}",
            f"ordinary line {ordinary:.1f}",
            "-",
        )
    )

    typing = run("typing.py", *(["--stride", "7", "--edits", "10"] if quick else []))
    sent = number(r"requests sent: (\d+)", typing)
    failures = number(r"failures: (\d+)", typing)
    p99 = number(r"p99 ([\d.]+)", typing)
    rows.append(
        (
            "typing: requests sent / failures",
            f"{sent:.0f} / {failures:.0f}",
            "goal: 0 failures",
            "met" if failures == 0 else "NOT met",
        )
    )
    rows.append(("typing: completion and hover p99, ms", f"{p99:.1f}", "-", "-"))

    print("\nratio: baseline / ours (above 1: ours is faster), or how far under the goal")
    print("\n| measure | ours | baseline | ratio |\n|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
