"""Editor latency of the server against yaml-language-server fed Dagster's own schema, same files, same run.

Usage: .venv/bin/python benchmarks/latency.py [--samples N] [--spawns N]

Both servers run as real processes over stdio, driven like an editor with VS Code's client capabilities,
on a 50-line and a 2,000-line defs.yaml written into a temp copy of examples/acme_analytics. Every wait
is for a response or a notification, never a sleep. yaml-language-server@1.25.0 is installed into
benchmarks/.node/ on first use; its schema is what `dg utils generate-component-schema` writes.
Prints median, p99 and the number of samples per measure, the ratio ours/yaml-ls, each server's peak
RSS (VmHWM), and the goals to read the table against (reported, not asserted).
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
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from lsprotocol import types
from pygls.lsp.client import LanguageClient
from pytest_lsp import client_capabilities

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "acme_analytics"
EXAMPLE_DEFS = EXAMPLE / "src" / "acme_analytics" / "defs"
NODE_DIR = REPO / "benchmarks" / ".node"
YAML_LS_VERSION = "1.25.0"
YAML_LS_DIR = NODE_DIR / "node_modules" / "yaml-language-server"
TIMEOUT = 120.0

# Completion on the indented empty line inside `attributes:` must offer a ResearchJob key the document
# lacks; completion after `type: ` must offer component keys; hover on the type must say something.
EXPECTED_ATTRIBUTE = "compute_size"
EXPECTED_TYPES = ("acme_platform.ResearchJob", "dagster_dbt.DbtProjectComponent")

# What `dg utils generate-component-schema` writes (dagster_dg_cli/cli/utils.py), computed in the
# interpreter that has the project's component types installed.
_SCHEMA = (
    "import json, sys; from dagster.components.list.list import list_all_components_schema; "
    "json.dump(list_all_components_schema(entry_points=True, extra_modules=()), sys.stdout)"
)


# --- the files ---


@dataclass(frozen=True)
class Target:
    """A generated defs.yaml and the places the measures touch (0-based lines)."""

    path: Path
    text: str
    blank_line: int
    """The indented empty line right after the target document's `attributes:`."""
    type_line: int
    owner_line: int

    @property
    def uri(self) -> str:
        return self.path.as_uri()


def example_documents() -> list[str]:
    """The ResearchJob and dbt documents of the example project, comments dropped, in a stable order."""
    docs = []
    for path in sorted(EXAMPLE_DEFS.rglob("defs.yaml")):
        for doc in re.split(r"^---$", path.read_text(), flags=re.M):
            text = "\n".join(line for line in doc.splitlines() if not line.startswith("#")).strip("\n")
            if text.startswith(("type: acme_platform.ResearchJob", "type: dagster_dbt.")):
                docs.append(text)
    return docs


# What makes a real document longer: a longer description, more tags, more upstream assets.
_PROSE = (
    "Built by the research platform from the model's notebook or script on the shared cluster.",
    "Refreshed after the upstream dbt models finish, usually before eight in the morning UTC.",
    "Consumers: the weekly research digest, the retention dashboard and the finance forecast.",
    "Ask in #research-alerts before changing its schema; downstream notebooks read every column.",
)
_TAGS = (
    "domain: research",
    "tier: gold",
    "pii: none",
    "cost_center: cc_4417",
    "review: quarterly",
    "dashboard: retention",
    "freshness: daily",
    "source: notebooks",
)
_UPSTREAM = (
    "customers",
    "orders",
    "stg_customers",
    "stg_orders",
    "stg_payments",
    "raw_customers",
    "raw_orders",
    "raw_payments",
)


def grow(doc: str, index: int, extra: int) -> str:
    """The ResearchJob document with exactly `extra` more lines: description prose, tags, then upstream deps."""
    if extra <= 0:
        return doc
    lines = doc.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("  description: "))
    prose = list(_PROSE[: min(len(_PROSE), extra // 4)])
    if prose:  # the one-line description becomes a folded block: the first line moves down, prose follows
        first = lines[at].removeprefix("  description: ")
        lines[at : at + 1] = ["  description: >-", f"    {first}", *(f"    {p}" for p in prose)]
        extra -= len(prose) + 1
    if "  tags:" not in lines and extra >= 4:
        lines.append("  tags:")
        extra -= 1
    if "  tags:" in lines:
        tags_at = lines.index("  tags:") + 1
        present = {line.split(":")[0].strip() for line in lines[tags_at:] if line.startswith("    ")}
        tags = [f"    {t}" for t in _TAGS if t.split(":")[0] not in present][: extra // 3]
        lines[tags_at:tags_at] = tags
        extra -= len(tags)
    deps_at = lines.index("  deps:") + 1
    lines[deps_at:deps_at] = [f"    - research/{_UPSTREAM[(index + k) % len(_UPSTREAM)]}_v{k}" for k in range(extra)]
    return "\n".join(lines)


def generate(path: Path, documents: int, total_lines: int, target_index: int) -> Target:
    """`documents` example documents with unique asset keys, grown to exactly `total_lines` lines.

    The target document (the script-based ResearchJob, so `compute_size` is missing) gets an indented
    empty line right after `attributes:`, where an editor's user starts a new key.
    """
    examples = example_documents()
    research = [d for d in examples if "ResearchJob" in d]
    cycle = research[:1] + [d for d in examples if d not in research] + research[1:]  # a dbt document second
    docs = []
    for i in range(documents):
        doc = cycle[0] if i == target_index else cycle[i % len(cycle)]
        doc = re.sub(r"(asset_key: research/\w+)", rf"\1_{i:02d}", doc)
        if i == target_index:
            assert EXPECTED_ATTRIBUTE not in doc
            doc = doc.replace("\nattributes:\n", "\nattributes:\n  \n", 1)
        docs.append(doc)
    missing = total_lines - sum(d.count("\n") + 1 for d in docs) - (documents - 1)
    growable = [i for i, d in enumerate(docs) if d.startswith("type: acme_platform.ResearchJob")]
    for n, i in enumerate(growable):
        docs[i] = grow(docs[i], i, missing // len(growable) + (n < missing % len(growable)))
    text = "\n---\n".join(docs) + "\n"
    assert text.count("\n") == total_lines, (path, text.count("\n"))
    first = sum(d.count("\n") + 2 for d in docs[:target_index])
    target = text.splitlines()[first:]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    for source in (
        "research/churn/churn_features.py",
        "research/churn/churn_model.ipynb",
        "research/ltv/ltv_forecast.ipynb",
    ):
        shutil.copy(EXAMPLE_DEFS / source, path.parent)  # the files the documents name, so none is missing
    return Target(
        path=path,
        text=text,
        blank_line=first + target.index("  "),
        type_line=first,
        owner_line=first + next(i for i, line in enumerate(target) if line.startswith("  owner:")),
    )


def copy_project(root: Path) -> Path:
    project = root / "acme_analytics"
    shutil.copytree(
        EXAMPLE,
        project,
        ignore=shutil.ignore_patterns(
            ".local_defs_state", "target", "__pycache__", "*.egg-info", ".dg", "logs", "*.duckdb*"
        ),
    )
    return project


def dagster_schema(path: Path) -> Path:
    out = subprocess.run([sys.executable, "-c", _SCHEMA], capture_output=True, text=True, check=True, cwd=path.parent)
    path.write_text(out.stdout)
    return path


def ensure_yaml_language_server() -> Path:
    package = YAML_LS_DIR / "package.json"
    if not package.is_file() or json.loads(package.read_text())["version"] != YAML_LS_VERSION:
        print(f"installing yaml-language-server@{YAML_LS_VERSION} into {NODE_DIR.relative_to(REPO)}/", file=sys.stderr)
        subprocess.run(
            [
                "npm",
                "install",
                "--silent",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(NODE_DIR),
                f"yaml-language-server@{YAML_LS_VERSION}",
            ],
            check=True,
            stdout=sys.stderr,
        )
    return YAML_LS_DIR / "bin" / "yaml-language-server"


# --- a server driven like an editor ---


@dataclass(frozen=True)
class ServerSpec:
    name: str
    command: list[str]
    env: dict[str, str]
    initialization_options: Any
    configuration: dict[str, Any]
    """The answer to `workspace/configuration`, by section; also sent in didChangeConfiguration."""
    versioned_diagnostics: bool
    """publishDiagnostics carries the document version (yaml-ls leaves it out)."""
    registry_cache: Optional[Path] = None
    """Our server's registry cache folder: filled by a cold start before the warm spawns."""


@dataclass
class Editor:
    """One server process and what an editor waits on: responses, diagnostics per document."""

    spec: ServerSpec
    client: LanguageClient
    pid: int
    capabilities: types.ServerCapabilities = field(default_factory=types.ServerCapabilities)
    versions: dict[str, int] = field(default_factory=dict)
    diagnostics: dict[str, list[types.Diagnostic]] = field(default_factory=dict)
    published: dict[str, int] = field(default_factory=dict)
    """How many publishDiagnostics (of the current version, where versioned) arrived per uri."""
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    stderr: bytes = b""
    """The last 64 KiB the server wrote to stderr, shown when it fails."""

    @classmethod
    async def spawn(cls, spec: ServerSpec, root: Path) -> Editor:
        client = LanguageClient("latency-benchmark", "1")
        editors: list[Editor] = []  # filled once the process exists; handlers only run after that

        @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        async def on_diagnostics(params: types.PublishDiagnosticsParams) -> None:
            editor = editors[0]
            if spec.versioned_diagnostics and params.version != editor.versions.get(params.uri):
                return  # a late answer for text the editor no longer shows
            async with editor.changed:
                editor.diagnostics[params.uri] = list(params.diagnostics)
                editor.published[params.uri] = editor.published.get(params.uri, 0) + 1
                editor.changed.notify_all()

        @client.feature(types.WORKSPACE_CONFIGURATION)
        def on_configuration(params: types.ConfigurationParams) -> list[Any]:
            return [spec.configuration.get(item.section or "") for item in params.items]

        for request in (types.CLIENT_REGISTER_CAPABILITY, types.WINDOW_WORK_DONE_PROGRESS_CREATE):
            client.feature(request)(lambda params: None)
        for notification in (
            types.WINDOW_LOG_MESSAGE,
            types.WINDOW_SHOW_MESSAGE,
            types.PROGRESS,
            types.TELEMETRY_EVENT,
            "dagster/status",
        ):
            client.feature(notification)(lambda params: None)

        await client.start_io(*spec.command, env=spec.env, cwd=str(root))
        process = client._server  # pygls keeps the process here; its stderr is a pipe someone must drain
        editor = cls(spec, client, process.pid)
        editors.append(editor)
        asyncio.get_running_loop().create_task(editor._drain(process.stderr))
        result = await editor._wait(
            client.initialize_async(
                types.InitializeParams(
                    capabilities=client_capabilities("visual-studio-code"),
                    root_uri=root.as_uri(),
                    workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
                    initialization_options=spec.initialization_options,
                )
            ),
            "initialize",
        )
        editor.capabilities = result.capabilities
        client.initialized(types.InitializedParams())
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=spec.configuration))
        return editor

    async def _drain(self, stream: asyncio.StreamReader) -> None:
        while chunk := await stream.read(65536):
            self.stderr = (self.stderr + chunk)[-65536:]

    async def _wait(self, awaitable: Awaitable[Any], what: str) -> Any:
        try:
            return await asyncio.wait_for(awaitable, TIMEOUT)
        except asyncio.TimeoutError:
            tail = self.stderr.decode(errors="replace")[-2000:]
            raise TimeoutError(f"{self.spec.name}: no {what} within {TIMEOUT:g} s; stderr:\n{tail}") from None

    def open(self, target: Target) -> None:
        self.versions[target.uri] = 1
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(uri=target.uri, language_id="yaml", version=1, text=target.text)
            )
        )

    def change(self, target: Target, line: int, start: int, end: int, text: str) -> None:
        """One incremental edit on one line, as an editor sends a keystroke."""
        self.versions[target.uri] += 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=target.uri, version=self.versions[target.uri]),
                content_changes=[
                    types.TextDocumentContentChangePartial(
                        range=types.Range(
                            start=types.Position(line=line, character=start),
                            end=types.Position(line=line, character=end),
                        ),
                        text=text,
                    )
                ],
            )
        )

    async def complete(self, target: Target, line: int, character: int) -> list[types.CompletionItem]:
        result = await self._wait(
            self.client.text_document_completion_async(
                types.CompletionParams(
                    text_document=types.TextDocumentIdentifier(uri=target.uri),
                    position=types.Position(line=line, character=character),
                )
            ),
            "completion",
        )
        if result is None:
            return []
        return list(result.items if isinstance(result, types.CompletionList) else result)

    async def hover(self, target: Target, line: int, character: int) -> Optional[types.Hover]:
        return await self._wait(
            self.client.text_document_hover_async(
                types.HoverParams(
                    text_document=types.TextDocumentIdentifier(uri=target.uri),
                    position=types.Position(line=line, character=character),
                )
            ),
            "hover",
        )

    async def until_correct_completion(self, target: Target) -> int:
        """Ask for completion on the attribute line until it offers the expected key; returns the requests sent."""
        deadline, attempts = time.perf_counter() + TIMEOUT, 0
        while time.perf_counter() < deadline:
            attempts += 1
            if offers(await self.complete(target, target.blank_line, 2), EXPECTED_ATTRIBUTE):
                return attempts
        raise TimeoutError(f"{self.spec.name}: no correct completion after {attempts} requests")

    def published_count(self, target: Target) -> int:
        return self.published.get(target.uri, 0)

    async def diagnostics_after(self, target: Target, seen: int) -> list[types.Diagnostic]:
        """The first diagnostics for the document after `seen` publishes (ours: of the current version)."""
        async with self.changed:
            await self._wait(self.changed.wait_for(lambda: self.published_count(target) > seen), "diagnostics")
            return self.diagnostics[target.uri]

    def peak_rss_kib(self) -> int:
        status = Path(f"/proc/{self.pid}/status").read_text()
        return int(re.search(r"^VmHWM:\s+(\d+) kB", status, re.M).group(1))

    async def close(self) -> None:
        await self._wait(self.client.shutdown_async(None), "shutdown answer")
        self.client.exit(None)
        await self._wait(self.client.stop(), "exit")


def offers(items: list[types.CompletionItem], *expected: str) -> bool:
    """Whether choosing some item inserts each expected text (label, insert text or edit text)."""
    offered = set()
    for item in items:
        offered |= {item.label, item.insert_text or "", item.text_edit.new_text if item.text_edit else ""}
    return all(any(e in text for text in offered) for e in expected)


def hover_text(hover: Optional[types.Hover]) -> str:
    if hover is None:
        return ""
    contents = hover.contents if isinstance(hover.contents, list) else [hover.contents]
    return "\n".join(c if isinstance(c, str) else c.value for c in contents)


# --- measures ---


@dataclass
class Samples:
    values: list[float] = field(default_factory=list)
    """Seconds."""
    misses: int = 0
    """Answers lacking what was expected (their time still counts)."""

    def median_ms(self) -> float:
        return statistics.median(self.values) * 1000

    def p99_ms(self) -> float:
        ordered = sorted(self.values)
        return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))] * 1000


async def timed(call: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = await call()
    return time.perf_counter() - start, result


async def first_correct_completion(spec: ServerSpec, root: Path, target: Target) -> tuple[float, int]:
    """(seconds from spawning the process to a completion offering the expected key, requests sent)."""
    start = time.perf_counter()
    editor = await Editor.spawn(spec, root)
    editor.open(target)
    attempts = await editor.until_correct_completion(target)
    elapsed = time.perf_counter() - start
    await editor.close()
    return elapsed, attempts


async def measure_file(editor: Editor, target: Target, samples: int) -> dict[str, Samples]:
    """Every per-request measure on one open, settled document."""
    results = {
        name: Samples()
        for name in (
            "completion: attribute key",
            "completion: type value",
            "edit then complete",
            "edit to diagnostics",
            "hover: type value",
        )
    }
    line, type_line = target.blank_line, target.type_line
    for _ in range(samples):
        seconds, items = await timed(lambda: editor.complete(target, line, 2))
        results["completion: attribute key"].values.append(seconds)
        results["completion: attribute key"].misses += not offers(items, EXPECTED_ATTRIBUTE)
    for _ in range(samples):
        seconds, items = await timed(lambda: editor.complete(target, type_line, len("type: ")))
        results["completion: type value"].values.append(seconds)
        results["completion: type value"].misses += not offers(items, *EXPECTED_TYPES)
    for _ in range(samples):
        seconds, result = await timed(lambda: editor.hover(target, type_line, len("type: acme")))
        results["hover: type value"].values.append(seconds)
        results["hover: type value"].misses += not hover_text(result)
    for n in range(samples):
        # Type `c` on the empty attribute line, or delete it again, and ask for completion right away.
        seen = editor.published_count(target)
        start = time.perf_counter()
        editor.change(target, line, 2, 2 + n % 2, "c" if n % 2 == 0 else "")
        items = await editor.complete(target, line, 3 - n % 2)
        results["edit then complete"].values.append(time.perf_counter() - start)
        results["edit then complete"].misses += not offers(items, EXPECTED_ATTRIBUTE)
        await editor.diagnostics_after(target, seen)  # the server settles before the next keystroke
    owner_end = len(target.text.splitlines()[target.owner_line])
    for n in range(samples):
        # Type a character at the end of the owner value, or delete it again.
        seen = editor.published_count(target)
        start = time.perf_counter()
        editor.change(target, target.owner_line, owner_end, owner_end + n % 2, "s" if n % 2 == 0 else "")
        await editor.diagnostics_after(target, seen)
        results["edit to diagnostics"].values.append(time.perf_counter() - start)
    return results


async def settle(editor: Editor, target: Target) -> list[types.Diagnostic]:
    """Open the document; once completion is schema-aware, the diagnostics of a no-op edit."""
    editor.open(target)
    await editor.until_correct_completion(target)
    seen = editor.published_count(target)
    editor.change(target, 0, 0, 1, target.text[0])  # retype the first character
    return await editor.diagnostics_after(target, seen)


@dataclass
class Run:
    spec: ServerSpec
    spawn: Samples
    spawn_attempts: list[int]
    rebuilds: int
    """Warm spawns during which our server rebuilt its registry (its fingerprint changed meanwhile)."""
    cold_spawn: Optional[Samples]
    """Spawn to first correct completion, each with an empty registry cache (ours only)."""
    dg_list: Optional[Samples]
    """`dg list components` in the project, in the same run (what the empty cache competes with)."""
    per_file: dict[str, dict[str, Samples]]
    diagnostics: dict[str, list[types.Diagnostic]]
    peak_rss_kib: int


def cache_stamps(cache: Optional[Path]) -> dict[Path, int]:
    """Each registry entry's inode: a rebuild writes a new file (a read only touches its mtime)."""
    return {p: p.stat().st_ino for p in cache.glob("registry-*.json")} if cache else {}


def dg_list_components(root: Path) -> float:
    """Seconds `dg list components` takes in the project (Dagster's own way to read its component types)."""
    start = time.perf_counter()
    subprocess.run(
        [str(Path(sys.executable).parent / "dg"), "list", "components"],
        cwd=root,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


async def run_server(
    spec: ServerSpec, root: Path, targets: dict[str, Target], samples: int, spawns: int, cold_spawns: int = 3
) -> Run:
    small = targets["50 lines"]
    cold = dg_list = None
    if spec.registry_cache:
        cold, dg_list = Samples(), Samples()
        for _ in range(cold_spawns):
            shutil.rmtree(spec.registry_cache, ignore_errors=True)
            cold.values.append((await first_correct_completion(spec, root, small))[0])
            dg_list.values.append(dg_list_components(root))
    spawn, attempts, rebuilds = Samples(), [], 0
    for _ in range(spawns):
        before = cache_stamps(spec.registry_cache)
        seconds, tries = await first_correct_completion(spec, root, small)
        spawn.values.append(seconds)
        attempts.append(tries)
        rebuilds += cache_stamps(spec.registry_cache) != before
    editor = await Editor.spawn(spec, root)
    diagnostics = {label: await settle(editor, target) for label, target in targets.items()}
    per_file = {label: await measure_file(editor, target, samples) for label, target in targets.items()}
    rss = editor.peak_rss_kib()
    await editor.close()
    return Run(spec, spawn, attempts, rebuilds, cold, dg_list, per_file, diagnostics, rss)


# --- report ---


def report(ours: Run, theirs: Run) -> None:
    print("times in ms; ratio = ours / yaml-ls (below 1: ours is faster); n = samples")
    header = f"{'measure':<36} {'file':<10} {'n':>3} " + " ".join(
        f"{h:>9}" for h in ("ours med", "ours p99", "yaml med", "yaml p99", "ratio med", "ratio p99")
    )
    print(header)
    print("-" * len(header))
    rows = [("spawn to first correct completion", "50 lines", ours.spawn, theirs.spawn)]
    rows += [
        (measure, label, by[measure], theirs.per_file[label][measure])
        for label, by in ours.per_file.items()
        for measure in by
    ]
    for measure, label, a, b in rows:
        print(
            f"{measure:<36} {label:<10} {len(a.values):>3} {a.median_ms():>9.1f} {a.p99_ms():>9.1f} "
            f"{b.median_ms():>9.1f} {b.p99_ms():>9.1f} {a.median_ms() / b.median_ms():>9.2f} "
            f"{a.p99_ms() / b.p99_ms():>9.2f}"
        )
    print()
    for run in (ours, theirs):
        print(f"{run.spec.name}:")
        print(f"  peak RSS (VmHWM of the server process): {run.peak_rss_kib / 1024:.1f} MiB")
        print(
            f"  spawn to first correct completion, ms: {[round(v * 1000) for v in run.spawn.values]}; "
            f"completion requests until correct: {run.spawn_attempts}"
        )
        if run.cold_spawn is not None and run.dg_list is not None:
            print(
                f"  the same with an empty registry cache, ms: {[round(v * 1000) for v in run.cold_spawn.values]} "
                f"(median {run.cold_spawn.median_ms():.0f}); `dg list components` in the same run, ms: "
                f"{[round(v * 1000) for v in run.dg_list.values]} (median {run.dg_list.median_ms():.0f}); "
                f"warm spawns that rebuilt the registry anyway: {run.rebuilds}"
            )
        print(f"  diagnostics on the files: { {label: len(d) for label, d in run.diagnostics.items()} }")
        misses = {f"{m}, {label}": s.misses for label, by in run.per_file.items() for m, s in by.items() if s.misses}
        if misses:
            print(f"  answers lacking the expected item: {misses}")
    print()
    a, b = ours.per_file, theirs.per_file
    goals = [
        (
            "edit-then-complete p99 on 2,000 lines at most half of yaml-ls's",
            a["2000 lines"]["edit then complete"].p99_ms() <= 0.5 * b["2000 lines"]["edit then complete"].p99_ms(),
        ),
        *(
            (
                f"edit-to-diagnostics median on {label} at most half of yaml-ls's",
                a[label]["edit to diagnostics"].median_ms() <= 0.5 * b[label]["edit to diagnostics"].median_ms(),
            )
            for label in a
        ),
        (
            "first correct completion (warm cache) at most 0.8x yaml-ls's first schema-aware one (medians)",
            ours.spawn.median_ms() <= 0.8 * theirs.spawn.median_ms(),
        ),
        *(
            (
                (
                    "first correct completion with an empty cache no later than `dg list components` (medians)",
                    ours.cold_spawn.median_ms() <= ours.dg_list.median_ms(),
                ),
            )
            if ours.cold_spawn and ours.dg_list
            else ()
        ),
    ]
    for goal, met in goals:
        print(f"goal: {goal}: {'met' if met else 'NOT met'}")


async def main_async(samples: int, spawns: int, cold_spawns: int = 3) -> None:
    work = Path(tempfile.mkdtemp(prefix="dcls-latency-"))
    try:
        root = copy_project(work)
        defs = root / "src" / "acme_analytics" / "defs"
        targets = {
            "50 lines": generate(defs / "bench_small" / "defs.yaml", 2, 50, target_index=0),
            "2000 lines": generate(defs / "bench_large" / "defs.yaml", 40, 2000, target_index=20),
        }
        schema = dagster_schema(work / "dagster-components.schema.json")
        cache = work / "cache"
        ours = ServerSpec(
            name="dagster-components-ls",
            command=[sys.executable, "-m", "dagster_components_ls"],
            # Bytecode cached like an installed package's (pip and uv compile it at install time), in
            # the run's folder: with PYTHONDONTWRITEBYTECODE every spawn would compile our sources anew.
            env={
                **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
                "PYTHONPYCACHEPREFIX": str(work / "pycache"),
                "DAGSTER_COMPONENTS_LS_CACHE": str(cache),
            },
            initialization_options={"python": sys.executable},
            configuration={"dagsterComponents": {"python": sys.executable}},
            versioned_diagnostics=True,
            registry_cache=cache,
        )
        yaml_settings = {
            "schemas": {schema.as_uri(): "**/defs.yaml"},
            "validate": True,
            "completion": True,
            "hover": True,
            "schemaStore": {"enable": False},
        }
        theirs = ServerSpec(
            name=f"yaml-language-server {YAML_LS_VERSION}",
            command=["node", str(ensure_yaml_language_server()), "--stdio"],
            env=dict(os.environ),
            initialization_options=None,
            configuration={"yaml": yaml_settings, "[yaml]": {}, "http": {}, "editor": {}},
            versioned_diagnostics=False,
        )
        started = time.perf_counter()
        run_ours = await run_server(ours, root, targets, samples, spawns, cold_spawns)
        run_theirs = await run_server(theirs, root, targets, samples, spawns)
        print(
            f"files: {', '.join(str(t.path.relative_to(root)) for t in targets.values())} in a copy of "
            f"examples/acme_analytics; yaml-ls schema: list_all_components_schema(entry_points=True) "
            f"({schema.stat().st_size // 1024} KiB); measured in {time.perf_counter() - started:.0f} s"
        )
        report(run_ours, run_theirs)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=40, help="samples per measure and file (default 40)")
    parser.add_argument("--spawns", type=int, default=10, help="warm spawns per server (default 10)")
    parser.add_argument(
        "--cold-spawns",
        type=int,
        default=3,
        help="spawns with an empty cache, each beside a `dg list components` (default 3)",
    )
    args = parser.parse_args()
    asyncio.run(main_async(args.samples, args.spawns, args.cold_spawns))


if __name__ == "__main__":
    main()
