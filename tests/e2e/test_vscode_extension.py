"""Real VS Code end to end: code-server 4.100.3 (VS Code 1.100.3) in headless Chromium, driven by
playwright-core (tests/vscode/e2e.mjs), with our .vsix installed, on a copy of examples/.

Checks a diagnostic's squiggle and message, a completion item, a hover, the lineage webview's assets, the
asset code lens, a quick fix, "Dagster: List Components" and its Markdown page, the Problems panel listing a
closed file broken on disk (workspace diagnostics), "Dagster: New Component Instance…", the status bar
item's tooltip, F2 on an asset key renaming it in every file naming it (on disk, after Save All), and the
platform engineer's loop: a required field added to the project-local Metric component's model, saved in
the editor, listed in the Problems panel once per instance of the type (none open), gone when taken out.
The server and its worker import the copy's packages (PYTHONPATH), not the repo's examples/ that the .venv
has installed. Screenshots, the driver's output and VS Code's logs land in tests/e2e/artifacts/ (ignored by git).

The first run (test_vscode_first_run_creates_the_environment, artifacts in tests/e2e/artifacts/firstrun/):
a copy of the examples with no `.venv` and no `dagsterComponents.python`, where `python3` on PATH has
neither our server nor Dagster, and uv is on PATH: the extension makes its own server environment (in its
global storage, from the bundled wheel; nothing is installed into python3), the hover is the bundled
snapshot's, labelled approximate; the extension offers "Create the project's environment"; the test
accepts; `uv venv` + `uv pip install -e .` + the bundled wheel run; the server restarts on the new
`.venv` without asking to install itself, and the project's own `acme_platform.ResearchJob` hovers. It
prints the timings (TIMING lines) and writes them to timings.json.

Needs (no silent skip: a missing piece fails, naming the command that provides it):
  tests/vscode/setup.sh                                   chromium, code-server, playwright-core
  cd vscode-client && npm ci && npm run package          vscode-client/dagster-components.vsix
Environment: DAGSTER_COMPONENTS_LS_TOOLS (the tools folder), DAGSTER_COMPONENTS_LS_VSIX (another .vsix),
E2E_STEPS (a comma-separated subset of the driver's steps), E2E_TIMEOUT (seconds for the driver, 420).
"""

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
import uv
from e2e_support import EXAMPLES, REPO, SHARED_CACHE

TOOLS = Path(
    os.environ.get("DAGSTER_COMPONENTS_LS_TOOLS", Path.home() / ".cache" / "dagster-components-ls" / "vscode-tools")
)
CODE_SERVER = TOOLS / "node_modules" / ".bin" / "code-server"
PLAYWRIGHT = TOOLS / "node_modules" / "playwright-core"
CHROMIUM = Path(os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"))
VSIX = Path(os.environ.get("DAGSTER_COMPONENTS_LS_VSIX", REPO / "vscode-client" / "dagster-components.vsix"))
DRIVER = REPO / "tests" / "vscode" / "e2e.mjs"
ARTIFACTS = REPO / "tests" / "e2e" / "artifacts"
DRIVER_TIMEOUT = int(os.environ.get("E2E_TIMEOUT", "420"))
SETUP = "tests/vscode/setup.sh"
BUILD_VSIX = "cd vscode-client && npm ci && npm run package"

SETTINGS = {
    "workbench.startupEditor": "none",
    "security.workspace.trust.enabled": False,
    "extensions.autoUpdate": False,
    "extensions.autoCheckUpdates": False,
    "extensions.ignoreRecommendations": True,
    "telemetry.telemetryLevel": "off",
    "update.mode": "none",
    "workbench.enableExperiments": False,
    "workbench.tips.enabled": False,
    "files.autoSave": "off",
    "editor.hover.delay": 100,
    # Only the server's completions: VS Code falls back to words from open files when a provider has none.
    "editor.wordBasedSuggestions": "off",
    "git.enabled": False,
}


def python_for_extension() -> str:
    """The repo's .venv interpreter: it has the server, dagster, dagster-dbt, dbt-duckdb and the examples."""
    venv = REPO / ".venv" / "bin" / "python"
    return str(venv if venv.exists() else Path(sys.executable))


def require_tools() -> None:
    missing = [
        f"{what} ({path})"
        for what, path in [("code-server", CODE_SERVER), ("playwright-core", PLAYWRIGHT), ("chromium", CHROMIUM)]
        if not path.exists()
    ]
    if missing:
        pytest.fail(f"missing {', '.join(missing)}: run `{SETUP}` (installs them into {TOOLS})", pytrace=False)
    if not VSIX.exists():
        pytest.fail(f"missing the extension {VSIX}: run `{BUILD_VSIX}`", pytrace=False)
    if shutil.which("node") is None:
        pytest.fail("node is not on PATH", pytrace=False)


def copy_examples(workspace: Path) -> Path:
    """examples/ without anything an earlier run or an install wrote (venvs, dbt and Dagster state)."""
    shutil.copytree(
        EXAMPLES,
        workspace,
        ignore=shutil.ignore_patterns(
            ".venv",
            "target",
            ".local_defs_state",
            "__pycache__",
            "*.egg-info",
            "*.duckdb",
            "*.duckdb.wal",
            ".dg",
            "logs",
            "dbt_packages",
            ".tmp_dagster_home_*",
        ),
    )
    return workspace


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (from /proc), so that those in other process groups (the server's
    lineage worker starts its own session) are ended too."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def stop(proc: subprocess.Popen) -> None:
    """End `proc`'s process group (it was started in its own session) and any descendant that left it."""
    if proc.poll() is not None:
        return
    below = descendants(proc.pid)
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        for pid in below:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        try:
            proc.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue


def tail(path: Path, lines: int = 60) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as error:
        return f"({error})"


def logs_report(data: Path, server_log: Path) -> str:
    """The extension's output channel, the extension host log and code-server's own output."""
    parts = []
    logs = data / "logs"
    channel = sorted(logs.rglob("*Dagster Components*.log")) if logs.exists() else []
    exthost = sorted(logs.rglob("remoteexthost.log")) if logs.exists() else []
    for title, files in (("output channel 'Dagster Components'", channel), ("remoteexthost.log", exthost)):
        if not files:
            parts.append(f"--- {title}: no log file under {logs}")
        for file in files:
            parts.append(f"--- {title}: {file}\n{tail(file)}")
    parts.append(f"--- code-server output: {server_log}\n{tail(server_log, 30)}")
    return "\n".join(parts)


@contextlib.contextmanager
def serving(tmp_path: Path, settings: dict, path_first: Path | None = None, copy_first: bool = False):
    """code-server with our .vsix installed, serving a copy of examples/: (url, user data dir, its output log,
    the workspace). `path_first`: a folder put first on code-server's PATH (the extension host inherits it).
    `copy_first`: the copy's packages first on PYTHONPATH (the server and its worker inherit it)."""
    require_tools()
    workspace = copy_examples(tmp_path / "workspace")
    data, extensions = tmp_path / "data", tmp_path / "extensions"
    (data / "User").mkdir(parents=True)
    (data / "User" / "settings.json").write_text(json.dumps({**SETTINGS, **settings}, indent=2))
    env = {**os.environ, "DAGSTER_COMPONENTS_LS_CACHE": str(SHARED_CACHE)}
    env.pop("VIRTUAL_ENV", None)
    if copy_first:
        # The repo's .venv has the examples installed editable from examples/ itself, and the worker reads
        # the component types from the installed package: without this, an edit of the copy's component
        # code would change nothing (as if a user's venv had their project installed from another checkout).
        sources = [str(workspace / name / "src") for name in ("acme_analytics", "acme_platform")]
        env["PYTHONPATH"] = os.pathsep.join([*sources, *filter(None, [env.get("PYTHONPATH")])])
    if path_first is not None:
        env["PATH"] = f"{path_first}{os.pathsep}{env.get('PATH', '')}"
        # Else VS Code takes the extension host's environment from a login shell, whose profile (pyenv's
        # shims, say) may put another python3 first; VSCODE_CLI=1 (launched from a terminal) skips that.
        env["VSCODE_CLI"] = "1"
    common = [
        "--config",
        str(tmp_path / "code-server.yaml"),
        "--user-data-dir",
        str(data),
        "--extensions-dir",
        str(extensions),
    ]
    install = subprocess.run(
        [str(CODE_SERVER), *common, "--install-extension", str(VSIX)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert install.returncode == 0 and "successfully installed" in install.stdout, (
        f"step install-extension: code-server could not install {VSIX}:\n{install.stdout}\n{install.stderr}"
    )

    port = free_port()
    server_log = tmp_path / "code-server.log"
    with open(server_log, "wb") as out:
        proc = subprocess.Popen(
            [
                str(CODE_SERVER),
                *common,
                "--auth",
                "none",
                "--bind-addr",
                f"127.0.0.1:{port}",
                "--disable-telemetry",
                "--disable-update-check",
                "--disable-workspace-trust",
                "--disable-getting-started-override",
                str(workspace),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=tmp_path,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(
                        f"step start-code-server: no /healthz on port {port}\n{tail(server_log)}", pytrace=False
                    )
                time.sleep(0.3)
        yield f"http://127.0.0.1:{port}/?folder={workspace}", data, server_log, workspace
    finally:
        stop(proc)


@pytest.fixture
def code_server(tmp_path: Path):
    """The examples with the repo's interpreter named in dagsterComponents.python, importing the copy's packages."""
    settings = {"dagsterComponents.python": python_for_extension(), "dagsterComponents.lineage.enabled": True}
    with serving(tmp_path, settings, copy_first=True) as served:
        yield served


def bare_venv(tmp_path: Path) -> Path:
    """A venv with neither our server nor Dagster, its bin/ holding uv: first on PATH, it is the `python3`
    of a machine with no Python set up for the project (and the uv that creates the environments)."""
    venv = tmp_path / "bare"
    subprocess.run([uv.find_uv_bin(), "venv", "-q", "-p", sys.executable, str(venv)], check=True, timeout=120)
    (venv / "bin" / "uv").symlink_to(uv.find_uv_bin())
    return venv


@pytest.fixture
def first_run_code_server(tmp_path: Path):
    """The examples with no .venv and no dagsterComponents.python: `python3` on PATH has no Dagster."""
    venv = bare_venv(tmp_path)
    with serving(tmp_path, {"dagsterComponents.lineage.enabled": False}, path_first=venv / "bin") as served:
        yield served


def run_driver(served, artifacts: Path, **extra_env: str) -> list[str]:
    """Runs the driver against `served` (from `serving`), relaying its lines; fails the test unless it passes."""
    url, data, server_log, _ = served
    # Each test owns its folder; the main test's holds the first run's (firstrun/), which it keeps.
    for old in artifacts.glob("*") if artifacts.exists() else []:
        if old.is_dir() and old.name != "firstrun":
            shutil.rmtree(old)
        elif not old.is_dir():
            old.unlink()
    artifacts.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "NODE_PATH": str(TOOLS / "node_modules"),
        "E2E_URL": url,
        "E2E_ARTIFACTS": str(artifacts),
        "E2E_CHROMIUM": str(CHROMIUM),
        **extra_env,
    }
    started = time.monotonic()
    driver = subprocess.Popen(
        ["node", str(DRIVER)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=REPO,
        start_new_session=True,
    )
    lines: list[str] = []

    def relay():  # the driver's steps as they happen (`pytest -s` shows them live; otherwise on failure)
        for line in driver.stdout:
            line = line.rstrip("\n")
            print(line, flush=True)
            lines.append(line)

    reader = threading.Thread(target=relay, daemon=True)
    reader.start()
    try:
        driver.wait(timeout=DRIVER_TIMEOUT)
    except subprocess.TimeoutExpired:
        running = next((l[5:] for l in reversed(lines) if l.startswith("STEP ")), "?")
        lines.append(f"FAIL: {running}: the driver ran over {DRIVER_TIMEOUT}s")
    finally:
        stop(driver)
        reader.join(timeout=5)
    (artifacts / "driver.log").write_text("\n".join(lines) + "\n")
    # VS Code's logs (extension output channel, extension host) outlive pytest's rotating tmp folders here.
    shutil.copytree(data / "logs", artifacts / "vscode-logs", dirs_exist_ok=True)
    shutil.copy(server_log, artifacts / "code-server.log")
    passed = driver.returncode == 0 and any(line.startswith("PASS") for line in lines)
    if not passed:
        failure = next((l for l in reversed(lines) if l.startswith("FAIL")), "FAIL: driver: no PASS line")
        pytest.fail(
            f"{failure}\n\n--- driver output\n"
            + "\n".join(lines[-40:])
            + "\n"
            + logs_report(data, server_log)
            + f"\n\nscreenshots: {artifacts}",
            pytrace=False,
        )
    print(f"VS Code e2e passed in {time.monotonic() - started:.1f}s; screenshots in {artifacts}")
    return lines


def test_vscode_shows_diagnostics_completion_hover_and_lineage(code_server):
    run_driver(code_server, ARTIFACTS, E2E_INTERPRETER=python_for_extension())


def test_vscode_first_run_creates_the_environment(first_run_code_server, tmp_path: Path):
    workspace = first_run_code_server[3]
    created = workspace / "acme_analytics" / ".venv" / "bin" / "python"
    lines = run_driver(
        first_run_code_server, ARTIFACTS / "firstrun", E2E_SUITE="firstrun", E2E_INTERPRETER=str(created)
    )
    timings = {what: float(seconds) for what, seconds in (l.split()[1:3] for l in lines if l.startswith("TIMING "))}
    (ARTIFACTS / "firstrun" / "timings.json").write_text(json.dumps(timings, indent=2) + "\n")
    print("first-run timings (s): " + ", ".join(f"{what} {seconds:.1f}" for what, seconds in timings.items()))
    assert set(timings) == {
        "no-env-to-snapshot-hover",
        "create-click-to-environment-ready",
        "restart-to-real-registry-hover",
        "create-click-to-real-registry-hover",
    }
    # The plan installed the server into the new environment: nothing else would have.
    probe = subprocess.run(
        [str(created), "-c", "import dagster, dagster_components_ls, acme_platform"], capture_output=True, text=True
    )
    assert probe.returncode == 0, probe.stderr
    # Until then the server ran from the extension's own environment (python3 on PATH has no server, and
    # nothing was installed into it).
    own = list((first_run_code_server[1] / "User" / "globalStorage").glob("*/server-*/bin/python"))
    assert len(own) == 1, own
    assert subprocess.run([str(own[0]), "-c", "import dagster_components_ls"]).returncode == 0
    plain_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # a worktree's test run sets it
    bare = subprocess.run(
        [str(tmp_path / "bare" / "bin" / "python"), "-c", "import dagster_components_ls"], env=plain_env
    )
    assert bare.returncode != 0, "the server was installed into python3 on PATH"
