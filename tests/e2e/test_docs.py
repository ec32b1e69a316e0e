"""docs/ cannot drift: every ```console block of the guides is run and compared with its text, every
```diff block is applied on the way, every image and relative link exists, and the reference pages
match what they describe (DESIGN's diagnostics table and the server's codes, package.json and
Settings, the policy schema, the CLI's subcommands).

A guide is a story: its blocks run in order, in one fresh copy of what a clone holds (`examples/`,
`schemas/`, `.pre-commit-hooks.yaml`, with `.venv` linked to the repository's), as if the reader had
run `source .venv/bin/activate` at its root. A console block is `$ command` lines, each followed by
its exact stdout (stderr, where progress and Dagster's warnings go, is not shown unless the command
says `2>&1`). `cd` and `$?` carry over from one command to the next, as in a terminal. A diff block is
an edit the reader makes, applied with `patch -p1` at the root of the copy.

Only two things are normalized: the copy's absolute path reads `/path/to/dagster-components-ls`, and
trailing spaces at line ends are dropped (Markdown editors strip them). `DOCS_UPDATE=1` rewrites the
blocks with what the commands print instead of failing: review the diff before committing it.
"""

import ast
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
DESIGN = REPO.parent / "shared" / "DESIGN.md"
SERVER = REPO / "server" / "dagster_components_ls"
PACKAGE_JSON = REPO / "vscode-client" / "package.json"
POLICY_SCHEMA = REPO / "schemas" / "policies.schema.json"
CLI = REPO / ".venv" / "bin" / "dagster-components-ls"

ROOT = "/path/to/dagster-components-ls"
"""What the copy's absolute path reads as in the guides."""
CLONED = ["examples", "schemas", ".pre-commit-hooks.yaml"]
"""What of a clone the guides use (the installed packages come from the repository's .venv)."""
NOT_RUN = {"editors.md": "its console block is an Emacs session tried by hand (Emacs is not installed here)"}
UPDATE = os.environ.get("DOCS_UPDATE") == "1"
COMMAND_TIMEOUT = 600
PARALLEL = 3
"""Pages run at once (each command is mostly one CPU-bound process; more only queue up on small machines)."""

PAGES = sorted(p for p in [*DOCS.glob("*.md"), *DOCS.glob("reference/*.md")])
RUN_PAGES = [p for p in PAGES if p.name not in NOT_RUN and "```console" in p.read_text()]


# --- reading the pages --------------------------------------------------------------------------


@dataclass
class Command:
    line: int
    """1-based line of the `$ ` in the page."""
    text: str
    expected: list[str]
    output_lines: tuple[int, int]
    """0-based [start, end) of the expected output in the page's lines."""


@dataclass
class Block:
    kind: str
    line: int
    body: str
    commands: list[Command] = field(default_factory=list)


def blocks(page: Path) -> list[Block]:
    """The fenced blocks of a page, console blocks split into commands and their outputs."""
    lines = page.read_text().split("\n")
    found, i = [], 0
    while i < len(lines):
        fence = re.match(r"^```(\w*)", lines[i])
        if not fence:
            i += 1
            continue
        end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
        block = Block(fence.group(1), i + 1, "\n".join(lines[i + 1 : end]) + "\n")
        if block.kind == "console":
            block.commands = _commands(lines, i + 1, end)
        found.append(block)
        i = end + 1
    return found


def _commands(lines: list[str], start: int, end: int) -> list[Command]:
    commands: list[Command] = []
    i = start
    while i < end:
        assert lines[i].startswith("$ "), f"line {i + 1}: a console block starts with `$ `"
        first, text = i, lines[i][2:]
        while text.endswith("\\"):  # a command continued on the next line
            i += 1
            text = text[:-1] + "\n" + lines[i]
        i += 1
        out_start = i
        while i < end and not lines[i].startswith("$ "):
            i += 1
        commands.append(Command(first + 1, text, lines[out_start:i], (out_start, i)))
    return commands


def images(page: Path) -> list[str]:
    return re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", page.read_text())


def links(page: Path) -> list[str]:
    targets = re.findall(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)", page.read_text())
    return [t.split("#")[0] for t in targets if not re.match(r"[a-z]+:", t) and not t.startswith("#")]


def table(text: str, heading: str) -> list[dict[str, str]]:
    """The first Markdown table after `heading` (a line that starts with it), as rows keyed by column."""
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith(heading))
    rows = []
    for line in lines[start + 1 :]:
        if not line.startswith("|"):
            if rows:
                break
            continue
        rows.append([cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1]])
    header, body = rows[0], rows[2:]
    return [dict(zip(header, row)) for row in body]


def unticked(cell: str) -> str:
    return cell.strip().strip("`")


# --- running the guides --------------------------------------------------------------------------


def copy_clone(destination: Path) -> Path:
    """What `git clone` gives (tracked and not-ignored files), plus the repository's .venv linked in."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "--", *CLONED],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    (destination / ".venv").symlink_to(REPO / ".venv")
    return destination


def environment(root: Path, cache: Path) -> dict[str, str]:
    """A shell with the clone's .venv activated. The example packages are installed editable from the
    repository, so PYTHONPATH puts the copy's sources first, as a clone's own editable install would."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("VIRTUAL_ENV", "PYTHONPATH", "DAGSTER_IS_DEV_CLI", "DAGSTER_HOME", "PYTHONHOME")
    }
    env.update(
        {
            "PATH": f"{root / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
            "VIRTUAL_ENV": str(root / ".venv"),
            "PYTHONPATH": os.pathsep.join(
                str(root / "examples" / p / "src") for p in ("acme_platform", "acme_analytics")
            ),
            "DAGSTER_COMPONENTS_LS_CACHE": str(cache),
            "COLUMNS": "80",
            "NO_COLOR": "1",
            "TERM": "dumb",
            "LC_ALL": "C.UTF-8",
        }
    )
    return env


def prepare_dbt_state(clone: Path, destination: Path) -> Path:
    """A copy of the clone whose dbt state the first lineage prepared, as a newcomer's first run does."""
    shutil.copytree(clone, destination, symlinks=True)
    first = subprocess.run(
        [
            str(CLI),
            "lineage",
            "examples/acme_analytics/src/acme_analytics/defs/jaffle_shop/defs.yaml",
            "--format",
            "json",
        ],
        cwd=destination,
        env=environment(destination, destination.parent / "cache"),
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
    )
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["errors"] == []
    return destination


def needs_dbt_state(page: Path) -> bool:
    """Pages that load the definitions start from the prepared copy; the others need not wait for it."""
    return any("lineage " in c.text or "--load" in c.text for b in blocks(page) for c in b.commands)


@dataclass
class Run:
    failures: list[str]
    updates: list[tuple[tuple[int, int], list[str]]]
    timings: list[str]


def run_page(page: Path, source: Path, tmp: Path) -> Run:
    """The page's blocks in order, in a fresh copy of `source` (its registry cache fresh too: a platform
    guide edits a package that PYTHONPATH, not a .pth file, points at, so a cached registry would not see it)."""
    root = tmp / "dagster-components-ls"
    shutil.copytree(source, root, symlinks=True)
    env = environment(root, tmp / "cache")
    where = page.relative_to(REPO)
    cwd, status, run = root, 0, Run([], [], [])
    for block in blocks(page):
        if block.kind == "diff":
            applied = subprocess.run(
                ["patch", "-p1", "--forward", "--no-backup-if-mismatch"],
                input=block.body,
                cwd=root,
                capture_output=True,
                text=True,
            )
            if applied.returncode != 0:
                run.failures.append(f"{where}:{block.line}: the diff does not apply:\n{applied.stdout}{applied.stderr}")
                return run
            continue
        for command in block.commands:
            pwd = tmp / "pwd"
            script = f"(exit {status})\n{command.text}\n__status=$?\npwd > '{pwd}'\nexit $__status\n"
            started = time.monotonic()
            ran = subprocess.run(
                ["bash", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=COMMAND_TIMEOUT
            )
            run.timings.append(f"{where}:{command.line}: {time.monotonic() - started:.1f}s  $ {command.text}")
            status, cwd = ran.returncode, Path(pwd.read_text().strip())
            actual = normalize(ran.stdout, root)
            if actual != command.expected:
                run.updates.append((command.output_lines, actual))
                run.failures.append(
                    f"{where}:{command.line}: $ {command.text}\n"
                    + "\n".join(difflib.unified_diff(command.expected, actual, "page", "actual", lineterm=""))
                    + f"\n(stderr: {ran.stderr[-2000:]})"
                )
    return run


@pytest.fixture(scope="module")
def runs(request, tmp_path_factory) -> dict[Path, Future]:
    """The selected pages, run side by side (each in its own copy), the dbt state prepared meanwhile."""
    selected = [
        item.callspec.params["page"]
        for item in request.session.items
        if getattr(item, "originalname", None) == "test_console_blocks_print_what_the_page_shows"
    ]
    clone = copy_clone(tmp_path_factory.mktemp("clone") / "dagster-components-ls")
    pool = ThreadPoolExecutor(max_workers=PARALLEL)
    prepared = pool.submit(prepare_dbt_state, clone, tmp_path_factory.mktemp("dbt") / "dagster-components-ls")

    def run(page: Path) -> Run:
        source = prepared.result() if needs_dbt_state(page) else clone
        return run_page(page, source, tmp_path_factory.mktemp(page.stem))

    futures = {page: pool.submit(run, page) for page in sorted(selected, key=needs_dbt_state)}
    yield futures
    pool.shutdown(wait=False, cancel_futures=True)


def normalize(output: str, root: Path) -> list[str]:
    for path in {str(root.resolve()), str(root)}:
        output = output.replace(path, ROOT)
    return [line.rstrip() for line in output.rstrip("\n").split("\n")] if output.strip() else []


@pytest.mark.parametrize("page", RUN_PAGES, ids=[str(p.relative_to(DOCS)) for p in RUN_PAGES])
def test_console_blocks_print_what_the_page_shows(page: Path, runs: dict[Path, Future]):
    run = runs[page].result()
    print("\n".join(run.timings))
    if UPDATE and run.updates:
        lines = page.read_text().split("\n")
        for (start, end), actual in sorted(run.updates, reverse=True):
            lines[start:end] = actual
        page.write_text("\n".join(lines))
    assert not run.failures, "\n\n".join(run.failures)


# --- pictures and links --------------------------------------------------------------------------


def test_every_image_and_relative_link_exists():
    missing = [
        f"{page.relative_to(REPO)}: {target}"
        for page in PAGES
        for target in [*images(page), *links(page)]
        if not (page.parent / target).exists()
    ]
    assert missing == []


def test_every_committed_picture_is_used():
    used = {(page.parent / target).resolve() for page in PAGES for target in images(page)}
    assert sorted(p.name for p in (DOCS / "images").glob("*.png") if p.resolve() not in used) == []


# --- reference: diagnostics ----------------------------------------------------------------------

EDITOR_ONLY_CODES = {"worker-error"}
"""Codes `check` cannot show (it exits 2 instead), so their page has no example from a console block."""
OTHER_SEVERITIES = {"policy-config": {"warning"}, "missing-file": {"error"}, "dbt-selection": {"error"}}
"""Severities a code also has besides its default; the page says when."""


def design_codes() -> dict[str, tuple[str, str]]:
    if not DESIGN.exists():
        pytest.skip(f"{DESIGN} is not here")
    rows = table(DESIGN.read_text(), "### Diagnostics")
    return {unticked(r["code"]): (r["severity"], r["when"]) for r in rows}


def page_codes() -> list[dict[str, str]]:
    return table((DOCS / "reference" / "diagnostics.md").read_text(), "## Codes")


def server_codes() -> dict[str, set[str]]:
    """Every code a `Problem(span, code, message, severity)` in the server is built with, and its severities
    (`policy:<rule>` for the policies' f-strings; a severity held in a variable is configured, not listed)."""
    found: dict[str, set[str]] = {}
    trees = {source: ast.parse(source.read_text()) for source in SERVER.rglob("*.py")}
    everywhere = {name: value for tree in trees.values() for name, value in _constants(tree).items()}
    for tree in trees.values():
        # A module's own constants, and those it imports (ERROR from model/problems.py, CONFIG_CODE
        # from checks/policies/config.py, ...).
        imported = {a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
        constants = {**{k: v for k, v in everywhere.items() if k in imported}, **_constants(tree)}
        for call in ast.walk(tree):
            if not (isinstance(call, ast.Call) and getattr(call.func, "id", None) == "Problem" and len(call.args) >= 2):
                continue
            code = _literal(call.args[1], constants)
            if code is None:
                continue  # rebuilt from a client's diagnostic (code_actions)
            severity = (
                call.args[3]
                if len(call.args) > 3
                else next((k.value for k in call.keywords if k.arg == "severity"), None)
            )
            options = [severity.body, severity.orelse] if isinstance(severity, ast.IfExp) else [severity]
            values = {"error" if option is None else _literal(option, constants) for option in options}
            found.setdefault(code, set()).update(values - {None})
    return found


def _constants(tree: ast.Module) -> dict[str, object]:
    """Module-level `NAME = "value"` and `A, B = "a", "b"`."""
    found = {}
    for node in tree.body:
        if not isinstance(node, ast.Assign):
            continue
        for target in node.targets:
            if isinstance(target, ast.Name) and isinstance(node.value, ast.Constant):
                found[target.id] = node.value.value
            elif isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                found.update(
                    {
                        t.id: v.value
                        for t, v in zip(target.elts, node.value.elts)
                        if isinstance(t, ast.Name) and isinstance(v, ast.Constant)
                    }
                )
    return found


def _literal(node: ast.expr, constants: dict[str, object]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name) and isinstance(constants.get(node.id), str):
        return constants[node.id]
    if isinstance(node, ast.JoinedStr) and getattr(node.values[0], "value", "").startswith("policy:"):
        return "policy:<rule>"
    return None


# Codes the design names that the server does not produce yet, with the issue that builds them: the
# page lists what the server does (no more), each code as the design words it.
NOT_BUILT_YET = {
    "unmatched-upstream": "issue 18",
    "component-docs": "issue 19",
}
# Codes the server produces for part of what the design says, worded on the page as built.
PARTLY_BUILT: dict[str, tuple[str, str]] = {}


def test_diagnostics_page_lists_designs_codes_as_designed():
    page = {unticked(r["code"]): (r["severity"], r["when"]) for r in page_codes()}
    design = design_codes()
    assert set(design) - set(page) == set(NOT_BUILT_YET)
    assert page == {code: PARTLY_BUILT.get(code, row) for code, row in design.items() if code not in NOT_BUILT_YET}


def test_diagnostics_page_lists_the_servers_codes_and_severities():
    found = server_codes()
    built_in = {c for c in found if c.startswith("policy:") and c != "policy:<rule>"}
    found.setdefault("policy:<rule>", set()).update(*(found.pop(c) for c in built_in))
    documented = {unticked(r["code"]): r["severity"] for r in page_codes()}
    assert set(found) == set(documented)
    for code, severities in found.items():
        default = documented[code].split(",")[0].split(" (")[0]  # "warning (error for an invalid expression)"
        if code == "policy:<rule>":
            assert severities <= {"error"}, "a built-in rule's severity is configured, default error"
            continue
        assert severities == {default} | OTHER_SEVERITIES.get(code, set()), code


def test_diagnostics_page_examples_are_printed_by_a_console_block():
    printed = "\n".join(
        line for page in RUN_PAGES for block in blocks(page) for command in block.commands for line in command.expected
    )
    missing = []
    for row in page_codes():
        code, example = unticked(row["code"]), row["example"]
        if code in EDITOR_ONLY_CODES:
            assert example == "—", code
            continue
        pattern = r"policy:[\w-]+" if code == "policy:<rule>" else re.escape(code)
        message = re.escape(example.replace("\\|", "|"))
        if not re.search(rf"\[{pattern}\] {message}$", printed, re.MULTILINE):
            missing.append(code)
    assert missing == []


# --- reference: settings -------------------------------------------------------------------------


def test_settings_page_matches_package_json():
    properties = json.loads(PACKAGE_JSON.read_text())["contributes"]["configuration"]["properties"]
    rows = table((DOCS / "reference" / "settings.md").read_text(), "## VS Code")
    documented = {
        unticked(r["setting"]): (unticked(r["type"]), unticked(r["default"]), r["values"], r["description"])
        for r in rows
    }
    expected = {
        key: (
            f"{spec['items']['type']}[]" if spec["type"] == "array" else spec["type"],
            json.dumps(spec["default"]),
            ", ".join(f"`{v}`" for v in spec.get("enum", [])) or "—",
            spec["markdownDescription"],
        )
        for key, spec in properties.items()
    }
    assert documented == expected


def test_settings_page_server_keys_are_what_the_server_reads():
    from dagster_components_ls.lsp.settings import Settings

    rows = table((DOCS / "reference" / "settings.md").read_text(), "## Server")
    defaults = Settings()
    fields = {name: getattr(defaults, name) for name in Settings.__dataclass_fields__}
    documented = {unticked(r["key"]): json.loads(unticked(r["default"])) for r in rows}
    assert {_field(k) for k in documented} == set(fields)
    for key, default in documented.items():
        assert fields[_field(key)] == default, key
        # Each key, nested as written and wrapped or not in dagsterComponents, moves the setting off its default.
        other = {
            "python": "/usr/bin/python3",
            "lineage.enabled": False,
            "trusted": False,
            "trace.server": "verbose",
            "environment.create": True,
            "diagnostics.workspace": False,
            "inlayHints.enabled": False,
            "inlayHints.showEnvValues": True,
        }[key]
        options: dict = {}
        *parents, leaf = key.split(".")
        nested = options
        for parent in parents:
            nested = nested.setdefault(parent, {})
        nested[leaf] = other
        for given in (options, {"dagsterComponents": options}):
            assert getattr(Settings.from_options(given), _field(key)) == other, key


def _field(key: str) -> str:
    """The Settings field of a documented key: `inlayHints.showEnvValues` -> `inlay_hints_show_env_values`."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", "_", key.replace(".", "_")).lower()


# --- reference: policies -------------------------------------------------------------------------


def test_policies_page_lists_the_schemas_rules():
    schema = json.loads(POLICY_SCHEMA.read_text())
    rows = table((DOCS / "reference" / "policies.md").read_text(), "## Rules")
    documented = {unticked(r["rule"]): (r["level"], r["what"]) for r in rows}
    expected = {
        rule: (spec["description"].split("-level")[0].lower(), spec["description"])
        for rule, spec in schema["properties"].items()
    }
    assert documented == expected


def test_policies_page_toml_examples_are_valid():
    import jsonschema

    schema = json.loads(POLICY_SCHEMA.read_text())
    examples = [
        b
        for b in blocks(DOCS / "reference" / "policies.md")
        if b.kind == "toml" and "[tool.dagster-components-ls.policies]" in b.body
    ]
    assert examples
    for block in examples:
        table_ = tomllib.loads(block.body)["tool"]["dagster-components-ls"]["policies"]
        jsonschema.validate(table_, schema)


# --- reference: CLI ------------------------------------------------------------------------------


def test_cli_page_shows_every_subcommands_help():
    usage = subprocess.run([str(CLI), "--help"], capture_output=True, text=True, check=True).stdout
    subcommands = re.search(r"\{([\w,]+)\}", usage).group(1).split(",")
    shown = {c.text for b in blocks(DOCS / "reference" / "cli.md") for c in b.commands}
    wanted = {
        "dagster-components-ls --help",
        "dagster-components-ls schema export --help",
        *(f"dagster-components-ls {s} --help" for s in subcommands),
    }
    assert wanted <= shown
