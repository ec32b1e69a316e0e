"""The Python distribution as users get it: the sdist and wheel `python -m build` makes, their metadata
(`twine check`), their file lists, and the wheel installed where Dagster is not (a fresh venv, and
`uv tool install` into an isolated tool folder), running `--version`, `check` and `serve`.

`./dev dist` builds dist/ and sets DAGSTER_COMPONENTS_LS_DIST=dist, so these tests check the very files
it leaves; otherwise (`./dev test`) the fixture builds them into a temporary folder. The installs take
their dependencies from the package index (uv's own cache; nothing is cached in the repository).
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
VERSION = re.search(
    r'^__version__ = "([^"]+)"$', (REPO / "server/dagster_components_ls/__init__.py").read_text(), re.M
)[1]
TIMEOUT = 300


def _tracked(*paths: str) -> list[str]:
    """The files git tracks under paths, relative to the repository: what a build may take from them."""
    out = subprocess.run(["git", "ls-files", "-z", *paths], cwd=REPO, capture_output=True, check=True).stdout
    return sorted(p for p in out.decode().split("\0") if p)


PINNED_DAGSTER = re.search(r'"dagster==([^"]+)"', (REPO / "pyproject.toml").read_text()).group(1)


def _clean_env(**extra: str) -> dict:
    """This process's environment without what would make an installed command see the source tree or
    the dev venv (PYTHONPATH, VIRTUAL_ENV) instead of what the wheel installed."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    return {**env, **extra}


def _run(command: list, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in command], capture_output=True, text=True, timeout=TIMEOUT, **kwargs)


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    """The folder holding exactly one sdist and one wheel of this version."""
    given = os.environ.get("DAGSTER_COMPONENTS_LS_DIST")
    if given:
        return Path(given).resolve()
    out = tmp_path_factory.mktemp("dist")
    built = _run([sys.executable, "-m", "build", "--installer", "uv", "--outdir", out, REPO])
    assert built.returncode == 0, built.stdout + built.stderr
    return out


@pytest.fixture(scope="module")
def wheel(dist: Path) -> Path:
    return dist / f"dagster_components_ls-{VERSION}-py3-none-any.whl"


@pytest.fixture(scope="module")
def sdist(dist: Path) -> Path:
    return dist / f"dagster_components_ls-{VERSION}.tar.gz"


def test_the_build_makes_one_sdist_and_one_wheel_of_the_version(dist: Path, wheel: Path, sdist: Path):
    assert sorted(p.name for p in dist.iterdir()) == sorted([wheel.name, sdist.name])


def test_twine_check_passes_both(wheel: Path, sdist: Path):
    checked = _run(
        [sys.executable, "-m", "twine", "--no-color", "check", "--strict", wheel, sdist],
        env={**os.environ, "COLUMNS": "1000"},
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.splitlines() == [f"Checking {wheel}: PASSED", f"Checking {sdist}: PASSED"]


def test_the_wheel_holds_the_package_with_its_worker_and_schemas_and_nothing_else(wheel: Path):
    info = f"dagster_components_ls-{VERSION}.dist-info"
    package = [p.removeprefix("server/") for p in _tracked("server/dagster_components_ls")]
    schemas = [f"dagster_components_ls/json_schemas/{p.removeprefix('schemas/')}" for p in _tracked("schemas")]
    metadata = [f"{info}/{name}" for name in ("METADATA", "WHEEL", "entry_points.txt", "licenses/LICENSE", "RECORD")]
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        entry_points = zf.read(f"{info}/entry_points.txt").decode()
    assert sorted(names) == sorted(package + schemas + metadata)
    assert (
        "dagster_components_ls/worker/__main__.py" in names
        and "dagster_components_ls/json_schemas/policies.schema.json" in names
    )
    assert "dagster_components_ls/bundled/registry-snapshot.json" in names  # served while a project has no Dagster
    assert entry_points.split() == [
        "[console_scripts]",
        "dagster-components-ls",
        "=",
        "dagster_components_ls.__main__:main",
    ]


def test_the_sdist_holds_what_the_wheel_is_built_from(sdist: Path):
    top = f"dagster_components_ls-{VERSION}"
    want = _tracked("server/dagster_components_ls", "schemas") + [
        ".gitignore",
        "LICENSE",
        "README.md",
        "pyproject.toml",
        "PKG-INFO",
    ]
    with tarfile.open(sdist) as tf:
        names = [m.name for m in tf.getmembers() if m.isfile()]
    assert sorted(names) == sorted(f"{top}/{p}" for p in want)


def test_the_metadata_is_complete_and_needs_no_dagster(wheel: Path):
    with zipfile.ZipFile(wheel) as zf:
        meta = Parser().parsestr(zf.read(f"dagster_components_ls-{VERSION}.dist-info/METADATA").decode())
    assert (meta["Name"], meta["Version"], meta["Requires-Python"]) == ("dagster-components-ls", VERSION, ">=3.10")
    assert (meta["License-Expression"], meta.get_all("License-File")) == ("Apache-2.0", ["LICENSE"])
    assert [url.split(",")[0] for url in meta.get_all("Project-URL")] == [
        "Homepage",
        "Documentation",
        "Repository",
        "Issues",
        "Changelog",
    ]
    assert "dagster" in meta["Keywords"].split(",") and meta["Author"] and meta["Maintainer"]
    classifiers = meta.get_all("Classifier")
    assert "License :: OSI Approved :: Apache Software License" not in classifiers  # PEP 639: License-Expression only
    assert {
        "Operating System :: POSIX :: Linux",
        "Operating System :: MacOS",
        "Programming Language :: Python :: 3.10",
    } <= set(classifiers)
    # Dagster is the user's, in their project's environment: the wheel must install without it.
    runtime = [r for r in meta.get_all("Requires-Dist") if "extra ==" not in r]
    assert [r for r in runtime if r.lower().startswith("dagster")] == []
    assert meta["Description-Content-Type"] == "text/markdown"


def test_the_pypi_readme_links_into_the_repository(wheel: Path):
    """PyPI shows README.md without the repository around it: its relative images and links are made
    absolute (hatch-fancy-pypi-readme), each to a file the repository holds."""
    with zipfile.ZipFile(wheel) as zf:
        readme = (
            Parser().parsestr(zf.read(f"dagster_components_ls-{VERSION}.dist-info/METADATA").decode()).get_payload()
        )
    assert readme.startswith("# dagster-components-ls\n")
    web = "https://github.com/dagster-components-ls/dagster-components-ls"
    ours, elsewhere = [], []
    for image, url in re.findall(r"(!?)\[[^\]]*\]\(([^)]+)\)", readme):
        inside = f"{web}/raw/HEAD/" if image else f"{web}/blob/HEAD/"
        (ours if url.startswith(inside) else elsewhere).append((image, url.removeprefix(inside)))
    assert [url for _, url in elsewhere if not url.startswith("https://")] == []  # nothing left relative
    assert [path for _, path in ours if not (REPO / path).is_file()] == []
    assert ("!", "docs/images/lineage.png") in ours and ("", "docs/reference/cli.md") in ours


def test_the_extension_and_the_server_have_one_version():
    package_json = json.loads((REPO / "vscode-client/package.json").read_text())
    assert package_json["version"] == VERSION
    assert re.search(r"^## (\S+)$", (REPO / "vscode-client/CHANGELOG.md").read_text(), re.M)[1] == VERSION


@pytest.fixture(scope="module", params=["venv", "uv-tool"])
def installed(request, wheel: Path, tmp_path_factory) -> Path:
    """The `dagster-components-ls` command the wheel installs: into a fresh venv (uv venv + uv pip install),
    or as a uv tool (UV_TOOL_DIR and UV_TOOL_BIN_DIR under a temporary folder)."""
    where = tmp_path_factory.mktemp(request.param)
    uv = [sys.executable, "-m", "uv"]
    if request.param == "venv":
        venv = where / "venv"
        made = _run([*uv, "venv", "--quiet", "--python", sys.executable, venv], env=_clean_env())
        assert made.returncode == 0, made.stderr
        done = _run([*uv, "pip", "install", "--quiet", "--python", venv / "bin/python", wheel], env=_clean_env())
        assert done.returncode == 0, done.stderr
        command = venv / "bin/dagster-components-ls"
        # Dagster stays the user's: the wheel did not bring it along.
        assert not list((venv / "lib").glob("python*/site-packages/dagster"))
    else:
        env = _clean_env(UV_TOOL_DIR=str(where / "tools"), UV_TOOL_BIN_DIR=str(where / "bin"))
        done = _run([*uv, "tool", "install", "--quiet", "--python", sys.executable, wheel], env=env)
        assert done.returncode == 0, done.stderr
        command = where / "bin/dagster-components-ls"
        listed = _run([*uv, "tool", "list"], env=env)
        assert listed.stdout.splitlines() == [f"dagster-components-ls v{VERSION}", "- dagster-components-ls"], (
            listed.stderr
        )
    assert command.exists()
    return command


def test_version_prints_the_package_version(installed: Path):
    shown = _run([installed, "--version"], env=_clean_env())
    assert (shown.returncode, shown.stdout, shown.stderr) == (0, f"dagster-components-ls {VERSION}\n", "")


@pytest.fixture(scope="module")
def examples_copy(tmp_path_factory) -> Path:
    """A copy of examples/ as git has it (no venvs, dbt targets or Dagster state), in a folder of its own."""
    where = tmp_path_factory.mktemp("examples")
    for rel in _tracked("examples"):
        (where / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / rel, where / rel)
    return where


@pytest.fixture(scope="module")
def editable_check(examples_copy: Path, tmp_path_factory) -> subprocess.CompletedProcess:
    """`check examples` by the source tree's package, run like `./dev demo`, on the copy."""
    cache = tmp_path_factory.mktemp("check-cache")
    return _run(
        [sys.executable, "-m", "dagster_components_ls", "check", "examples", "--python", sys.executable],
        cwd=examples_copy,
        env={**os.environ, "PYTHONPATH": str(REPO / "server"), "DAGSTER_COMPONENTS_LS_CACHE": str(cache)},
    )


def test_check_matches_the_editable_install(installed: Path, examples_copy: Path, editable_check, tmp_path):
    # The project's interpreter is the dev venv (Dagster and the example packages); the tool has none.
    ours = _run(
        [installed, "check", "examples", "--python", sys.executable],
        cwd=examples_copy,
        env=_clean_env(DAGSTER_COMPONENTS_LS_CACHE=str(tmp_path / "cache")),
    )
    assert editable_check.returncode == 1, editable_check.stderr  # examples/broken/ holds errors on purpose
    assert (ours.returncode, ours.stdout) == (1, editable_check.stdout), ours.stderr
    assert "error[unknown-type]" in ours.stdout and "error[component-validation]" in ours.stdout  # the worker ran


def _frame(message: dict) -> bytes:
    body = json.dumps(message).encode()
    return f"Content-Length: {len(body)}\r\n\r\n".encode() + body


def _answer(stream, id: int) -> dict:
    """The response to our request id, past the notifications and requests the server sends meanwhile."""
    while True:
        message = _read_frame(stream)
        if message.get("id") == id and "method" not in message:
            return message


def _read_frame(stream) -> dict:
    length = None
    while (line := stream.readline()) not in (b"\r\n", b""):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    assert length is not None, "the server closed its stdout"
    return json.loads(stream.read(length))


def test_serve_answers_the_lsp_handshake_with_its_version(installed: Path, examples_copy: Path, tmp_path):
    root = (examples_copy / "examples/acme_analytics").as_uri()
    server = subprocess.Popen(
        [installed, "serve"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=_clean_env(DAGSTER_COMPONENTS_LS_CACHE=str(tmp_path / "cache")),
    )
    try:
        server.stdin.write(
            _frame(
                {
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "initialize",
                    "params": {
                        "processId": os.getpid(),
                        "rootUri": root,
                        "capabilities": {},
                        "workspaceFolders": [{"uri": root, "name": "acme_analytics"}],
                        "initializationOptions": {"python": sys.executable, "lineage": {"enabled": False}},
                    },
                }
            )
        )
        server.stdin.flush()
        assert _answer(server.stdout, 1)["result"]["serverInfo"] == {
            "name": "dagster-components-ls",
            "version": VERSION,
        }
        server.stdin.write(_frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
        server.stdin.write(_frame({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}))
        server.stdin.flush()
        assert _answer(server.stdout, 2) == {"jsonrpc": "2.0", "id": 2, "result": None}
        server.stdin.write(_frame({"jsonrpc": "2.0", "method": "exit"}))
        server.stdin.close()
        assert server.wait(timeout=30) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def test_serve_without_any_environment_offers_the_bundled_snapshot(installed: Path, examples_copy: Path, tmp_path):
    # No `python` setting and no .venv in the copy: the server's own interpreter (the tool's, without
    # Dagster) is the project's, so the wheel's bundled snapshot answers, labelled as such.
    project = examples_copy / "examples/acme_analytics"
    server = subprocess.Popen(
        [installed, "serve"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=_clean_env(DAGSTER_COMPONENTS_LS_CACHE=str(tmp_path / "cache")),
    )
    try:
        server.stdin.write(
            _frame(
                {
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "initialize",
                    "params": {
                        "processId": os.getpid(),
                        "rootUri": project.as_uri(),
                        "capabilities": {},
                        "workspaceFolders": [{"uri": project.as_uri(), "name": "acme_analytics"}],
                        "initializationOptions": {"lineage": {"enabled": False}},
                    },
                }
            )
        )
        server.stdin.flush()
        _answer(server.stdout, 1)
        server.stdin.write(_frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
        server.stdin.flush()
        while (message := _read_frame(server.stdout)).get("method") != "dagster/status" or message["params"][
            "state"
        ] == "loading":
            pass
        python = message["params"]["interpreter"]
        assert (message["params"]["state"], message["params"]["message"]) == (
            "ready",
            (
                f"approximate: Dagster {PINNED_DAGSTER} built-ins, your project's environment is not set up (Dagster is not installed "
                f"in {python}); to set it up, run `uv venv && uv pip install -e .` (or `python3 -m venv .venv && .venv/bin/python "
                f"-m pip install -e .`) in {project}"
            ),
        )
    finally:
        server.kill()
        server.wait()
