"""Faults in user code and interpreters, through the real server: each is contained, named once, and
leaves no process behind; the server keeps answering from the last good registry."""

import asyncio
import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import pytest_lsp
from e2e_support import (
    DAGSTER_VERSION,
    GADGET_V1,
    SERVER_COMMAND,
    SHARED_CACHE,
    SYNC_VERSION,
    UNSUPPORTED_DAGSTER,
    open_and_wait,
    start_session,
    statuses,
    summary,
    unsupported_dagster_venv,
    until,
    write_project,
)
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

# Short limits, so a hang or a runaway allocation is caught in seconds (the defaults: 60-180 s per
# call, 4 GiB of data per worker process).
FAULT_ENV = {"DAGSTER_COMPONENTS_LS_CALL_TIMEOUT": "15", "DAGSTER_COMPONENTS_LS_WORKER_MEMORY_MB": "1024"}


def fault_config() -> ClientServerConfig:
    return ClientServerConfig(
        server_command=SERVER_COMMAND,
        server_env={**os.environ, "DAGSTER_COMPONENTS_LS_CACHE": str(SHARED_CACHE), **FAULT_ENV},
    )


@pytest_lsp.fixture(config=fault_config())
async def client(lsp_client: LanguageClient):
    await start_session(lsp_client, {})
    yield
    await lsp_client.shutdown_session()


def processes_under(folder: Path) -> list[str]:
    """Live processes whose working folder or command line is inside `folder` (workers, their children)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            cwd = os.readlink(f"/proc/{pid}/cwd")
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = next(
                line for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("State:")
            )
        except (OSError, StopIteration):
            continue
        if "zombie" not in state and (cwd.startswith(str(folder)) or str(folder) in cmdline):
            found.append(f"{pid}: {cmdline.strip()}")
    return found


async def nothing_left_under(client: LanguageClient, folder: Path) -> bool:
    """Until no process runs there: a hung call is killed at its timeout (15 s here)."""
    return await until(client, lambda: not processes_under(folder), timeout=45)


def gadget_module(root: Path) -> Path:
    return root / "src" / "shop" / "components" / "gadget.py"


def defs_file(root: Path) -> Path:
    return root / "src" / "shop" / "defs" / "gadgets" / "defs.yaml"


def registry_messages(client: LanguageClient, root: Path) -> list[tuple[str, str]]:
    return [
        (s.state, s.message)
        for s in statuses(client)
        if s.subject == "registry" and s.project == root.as_uri() and s.state != "loading"
    ]


FAULTY_MODULES = {
    "raises": (
        "raise ImportError(\"gadget needs the 'widgets' extra\")\n",
        "ImportError: gadget needs the 'widgets' extra",
    ),
    "exits": ("import sys\nsys.exit(3)\n", "SystemExit: 3"),
    "allocates": ("blocks = []\nwhile True:\n    blocks.append(bytearray(50_000_000))\n", "MemoryError"),
}


@pytest.mark.parametrize("fault", list(FAULTY_MODULES))
@pytest.mark.asyncio(loop_scope="function")
async def test_a_component_module_that_fails_at_import_is_one_diagnostic(client: LanguageClient, tmp_path, fault):
    root = write_project(tmp_path / "shop")
    code, error = FAULTY_MODULES[fault]
    gadget_module(root).write_text(code + GADGET_V1)
    diagnostics = await open_and_wait(client, defs_file(root))
    assert summary(diagnostics) == [
        (
            "type-import-error",
            0,
            6,
            0,
            35,
            f"Component type 'shop.components.gadget.Gadget' could not be loaded: importing 'shop.components.gadget' "
            f"failed: {error}",
        )
    ]
    assert registry_messages(client, root)[-1][0] == "ready"
    assert await nothing_left_under(client, root), processes_under(root)


@pytest.mark.asyncio(loop_scope="function")
async def test_output_of_user_code_never_reaches_the_protocol(client: LanguageClient, tmp_path):
    root = write_project(tmp_path / "shop")
    noisy = "import os\nprint('hello from gadget')\nos.system('echo hello from a subprocess')\n"
    gadget_module(root).write_text(noisy + GADGET_V1)
    diagnostics = await open_and_wait(client, defs_file(root))
    assert summary(diagnostics) == [
        ("unknown-attribute", 3, 2, 3, 7, "Unknown attribute 'color' for shop.components.gadget.Gadget. Allowed: name")
    ]


# A hang costs one module's budget (a third of the call) and a second build without it: the call needs
# room for both, on a busy machine too.
HANG_ENV = {**FAULT_ENV, "DAGSTER_COMPONENTS_LS_CALL_TIMEOUT": "30"}
HANG_MESSAGE = "did not finish within 10 s"


@pytest_lsp.fixture(
    config=ClientServerConfig(
        server_command=SERVER_COMMAND,
        server_env={**os.environ, "DAGSTER_COMPONENTS_LS_CACHE": str(SHARED_CACHE), **HANG_ENV},
    )
)
async def hang_client(lsp_client: LanguageClient):
    await start_session(lsp_client, {})
    yield
    await lsp_client.shutdown_session()


def hang_unknown_type() -> tuple:
    return (
        "type-import-error",
        0,
        6,
        0,
        35,
        "Component type 'shop.components.gadget.Gadget' could not be loaded: "
        f"importing 'shop.components.gadget' failed: {HANG_MESSAGE} (it hangs when imported: run "
        "`python -c 'import shop.components.gadget'` with the project's interpreter to see where)",
    )


@pytest.mark.asyncio(loop_scope="function")
async def test_a_hang_at_import_costs_only_its_types_and_is_named(hang_client: LanguageClient, tmp_path):
    client = hang_client
    root = write_project(tmp_path / "shop")
    path = defs_file(root)
    await open_and_wait(client, path)
    ready_before = len(registry_messages(client, root))
    gadget_module(root).write_text("import time\ntime.sleep(3600)\n" + GADGET_V1)
    client.text_document_did_save(
        types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=gadget_module(root).as_uri()))
    )
    assert await until(client, lambda: len(registry_messages(client, root)) > ready_before, timeout=60)
    state, message = registry_messages(client, root)[-1]
    assert state == "ready" and message.endswith(
        f"; 1 module failed to import: shop.components.gadget ({HANG_MESSAGE})"
    ), message
    assert await until(client, lambda: summary(client.diagnostics.get(path.as_uri(), [])) == [hang_unknown_type()])
    assert await nothing_left_under(client, root), processes_under(root)
    # Dagster's own types are still there: completion offers them.
    completion = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=path.as_uri()), position=types.Position(line=0, character=14)
        )
    )
    assert "dagster.DefsFolderComponent" in [item.label for item in completion.items]
    # Fixed: the next save reads the types again.
    gadget_module(root).write_text(GADGET_V1)
    client.text_document_did_save(
        types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=gadget_module(root).as_uri()))
    )
    assert await until(
        client,
        lambda: (
            registry_messages(client, root)[-1][0] == "ready"
            and "failed to import" not in registry_messages(client, root)[-1][1]
        ),
        timeout=60,
    )


@pytest.mark.asyncio(loop_scope="function")
async def test_requests_never_wait_for_a_registry_that_a_worker_builds(hang_client: LanguageClient, tmp_path):
    client = hang_client
    root = write_project(tmp_path / "shop")
    gadget_module(root).write_text("import time\ntime.sleep(3600)\n" + GADGET_V1)
    path = defs_file(root)
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=path.as_uri(), language_id="yaml", version=1, text=path.read_text()
            )
        )
    )
    document = types.TextDocumentIdentifier(uri=path.as_uri())
    # Twenty requests while the build waits for the hanging module (10 s): each answers at once, from
    # what is known (nothing yet), so all of them are answered before the registry is ready.
    answers = []
    for _ in range(10):
        answers.append(
            await client.text_document_hover_async(
                types.HoverParams(text_document=document, position=types.Position(line=0, character=10))
            )
        )
        completion = await client.text_document_completion_async(
            types.CompletionParams(text_document=document, position=types.Position(line=2, character=2))
        )
        answers.append(list(completion.items) if completion else [])
    assert registry_messages(client, root) == []
    assert answers == [None, []] * 10
    assert await until(client, lambda: registry_messages(client, root) != [], timeout=60)
    assert registry_messages(client, root)[-1][0] == "ready"
    assert await until(client, lambda: summary(client.diagnostics.get(path.as_uri(), [])) == [hang_unknown_type()])


@pytest.mark.asyncio(loop_scope="function")
async def test_an_unsupported_dagster_is_named_with_the_versions_supported(client: LanguageClient, tmp_path):
    python = unsupported_dagster_venv()
    root = write_project(tmp_path / "shop")
    (root / ".venv").symlink_to(python.parent.parent)
    await check_interpreter_error(
        client,
        root,
        (
            f"Dagster {UNSUPPORTED_DAGSTER} in {root / '.venv' / 'bin' / 'python'} is not supported: dagster-components-ls "
            "supports Dagster 1.11, 1.12 and 1.13 (upgrade the project to dagster>=1.11)"
        ),
    )


def test_check_names_an_unsupported_dagster_and_exits_2(tmp_path):
    root = write_project(tmp_path / "shop")
    (root / ".venv").symlink_to(unsupported_dagster_venv().parent.parent)
    done = subprocess.run(
        SERVER_COMMAND + ["check", str(root)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "DAGSTER_COMPONENTS_LS_CACHE": str(tmp_path / "cache")},
    )
    assert (done.returncode, done.stdout, done.stderr.strip().splitlines()[-1]) == (
        2,
        "",
        (
            f"dagster-components-ls check: could not read the component types for project {root} with "
            f"{root / '.venv' / 'bin' / 'python'}: Dagster {UNSUPPORTED_DAGSTER} in {root / '.venv' / 'bin' / 'python'} "
            "is not supported: dagster-components-ls supports Dagster 1.11, 1.12 and 1.13 (upgrade the project to "
            "dagster>=1.11)"
        ),
    )


@pytest.mark.asyncio(loop_scope="function")
async def test_an_interpreter_that_is_not_python_is_named(client: LanguageClient, tmp_path):
    root = write_project(tmp_path / "shop")
    fake = root / ".venv" / "bin" / "python"
    fake.parent.mkdir(parents=True)
    fake.write_text("#!/bin/sh\necho 'not python'\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    await check_interpreter_error(client, root, f"{fake} is not a Python interpreter that can run the worker")


async def check_interpreter_error(client: LanguageClient, root: Path, message: str) -> None:
    # This client names its own interpreter; a document outside its settings' reach is the project's
    # own .venv only when the setting is empty, so the setting is cleared first.
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(
            settings={"dagsterComponents": {"python": None, "lineage": {"enabled": False}}}
        )
    )
    path = defs_file(root)
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=path.as_uri(), language_id="yaml", version=1, text=path.read_text()
            )
        )
    )
    assert await until(
        client, lambda: registry_messages(client, root) and registry_messages(client, root)[-1][0] == "error"
    )
    assert registry_messages(client, root)[-1][1].startswith(f"Could not read the component types: {message}")
    assert await until(client, lambda: any(d.code == "worker-error" for d in client.diagnostics.get(path.as_uri(), ())))
    errors = [d for d in client.diagnostics[path.as_uri()] if d.code == "worker-error"]
    assert len(errors) == 1 and errors[0].message.startswith(f"Could not read the component types: {message}")
    assert await nothing_left_under(client, root), processes_under(root)


# The interpreter probe (a `python -c` run to fingerprint the environment) gets 2 s here, not 30.
PROBE_ENV = {**FAULT_ENV, "DAGSTER_COMPONENTS_LS_PROBE_TIMEOUT": "2"}


@pytest_lsp.fixture(
    config=ClientServerConfig(
        server_command=SERVER_COMMAND,
        server_env={**os.environ, "DAGSTER_COMPONENTS_LS_CACHE": str(SHARED_CACHE), **PROBE_ENV},
    )
)
async def probe_client(lsp_client: LanguageClient):
    await start_session(lsp_client, {})
    yield
    await lsp_client.shutdown_session()


def hostile_wrapper(folder: Path) -> Path:
    """A project's `python` wrapper whose probe run reads stdin and leaves a child that hangs; the
    worker's run (`python <worker dir>`) is the real interpreter. It records the pids it started."""
    wrapper = folder / "bin" / "python"
    wrapper.parent.mkdir(parents=True)
    wrapper.write_text(
        textwrap.dedent(f"""\
        #!/bin/sh
        if [ "$1" = "-c" ]; then
            readlink /proc/$$/fd/0 > {folder}/stdin-is
            exec 3<&0                      # a background job's own stdin is /dev/null: read the real one
            cat <&3 > {folder}/stdin-read &
            echo $! > {folder}/pids.tmp
            sleep 3600 &
            echo $! >> {folder}/pids.tmp
            echo $$ >> {folder}/pids.tmp
            mv {folder}/pids.tmp {folder}/pids
            wait
        fi
        exec {sys.executable} "$@"
        """)
    )
    wrapper.chmod(0o755)
    return wrapper


def group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes whose process group is `pgid`."""
    found = []
    for pid in (p for p in os.listdir("/proc") if p.isdigit()):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            found.append(int(pid))
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.asyncio(loop_scope="function")
async def test_an_interpreter_probe_never_reads_our_stdin_nor_outlives_its_timeout(
    probe_client: LanguageClient, tmp_path
):
    client = probe_client
    root = write_project(tmp_path / "shop")
    wrapper = hostile_wrapper(tmp_path / "wrapper")
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(
            settings={"dagsterComponents": {"python": str(wrapper), "lineage": {"enabled": False}}}
        )
    )
    path = defs_file(root)
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=path.as_uri(), language_id="yaml", version=1, text=path.read_text()
            )
        )
    )
    pids = tmp_path / "wrapper" / "pids"
    assert await until(client, pids.exists, timeout=60)
    cat_pid, sleep_pid, probe_pid = map(int, pids.read_text().split())
    try:
        # While the probe runs (and after): the editor's requests still reach the server.
        for _ in range(3):
            symbols = await asyncio.wait_for(
                client.text_document_document_symbol_async(
                    types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=path.as_uri()))
                ),
                30,
            )
            assert [s.name for s in symbols] == ["Gadget"]
        assert await until(client, lambda: registry_messages(client, root) != [], timeout=60)
        assert registry_messages(client, root)[-1][0] == "ready"
        # The probe timed out (2 s): its whole group is gone, the child that hung included.
        assert await until(client, lambda: not any(map(alive, (cat_pid, sleep_pid, probe_pid))), timeout=30), [
            p for p in (cat_pid, sleep_pid, probe_pid) if alive(p)
        ]
        assert group_members(probe_pid) == []
        assert (tmp_path / "wrapper" / "stdin-is").read_text() == "/dev/null\n"
        assert (tmp_path / "wrapper" / "stdin-read").read_bytes() == b""
    finally:  # on failure, nothing of the probe keeps reading the server's stdin
        for pid in (cat_pid, sleep_pid, probe_pid):
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass


def server_processes() -> list[int]:
    """This test's language server: a child of the test process running our package."""
    found = []
    for pid in (p for p in os.listdir("/proc") if p.isdigit()):
        try:
            ppid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except (OSError, IndexError, ValueError):
            continue
        if ppid == os.getpid() and b"dagster_components_ls" in cmdline:
            found.append(int(pid))
    return found


def peak_rss_mib(pid: int) -> float:
    line = next(line for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


NOISE = """\
import sys, time
for _ in range(300):
    sys.stderr.write("x" * 1_000_000)  # 300 MB, not one newline
sys.stderr.write("END-OF-NOISE")
sys.stderr.flush()
time.sleep(3600)
"""


@pytest.mark.asyncio(loop_scope="function")
async def test_worker_stderr_without_newlines_is_kept_as_a_bounded_tail(client: LanguageClient, tmp_path):
    from dagster_components_ls.project.worker_client import STDERR_TAIL_CHARS

    root = write_project(tmp_path / "shop")
    gadget_module(root).write_text(NOISE + GADGET_V1)
    path = defs_file(root)
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=path.as_uri(), language_id="yaml", version=1, text=path.read_text()
            )
        )
    )
    # While the worker writes, the server answers.
    symbols = await asyncio.wait_for(
        client.text_document_document_symbol_async(
            types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=path.as_uri()))
        ),
        30,
    )
    assert [s.name for s in symbols] == ["Gadget"]
    assert await until(client, lambda: registry_messages(client, root) != [], timeout=90)
    state, message = registry_messages(client, root)[-1]
    # The hanging module costs only its own types (the registry build isolates each module).
    assert (state, message.split("; ", 1)[-1]) == (
        "ready",
        "1 module failed to import: shop.components.gadget (did not finish within 5 s)",
    )
    assert len(message) <= STDERR_TAIL_CHARS
    [server] = server_processes()
    assert peak_rss_mib(server) < 250  # the whole 300 MB was never held (unbounded reading peaked at 635 MiB)
    assert await nothing_left_under(client, root), processes_under(root)


# Cache files for the project's own key and fingerprint, as another version, a crash or a hand might leave them.
BAD_CACHE_ENTRIES = {
    "wrong-types": lambda fp: json.dumps({"fingerprint": fp, "registry": {"types": "all of them"}}),
    "missing-keys": lambda fp: json.dumps({"fingerprint": fp, "registry": {"types": [{"aliases": ["x"]}]}}),
    "scope-shape": lambda fp: json.dumps(
        {"fingerprint": fp, "registry": {"types": [], "template_scope": {"globals": "env"}}}
    ),
    "not-an-object": lambda fp: json.dumps([fp]),
    "invalid-json": lambda fp: "{not json",
    "truncated": lambda fp: json.dumps({"fingerprint": fp, "registry": {"types": []}})[:-7],
}


@pytest.mark.parametrize("entry", list(BAD_CACHE_ENTRIES))
@pytest.mark.asyncio(loop_scope="function")
async def test_a_cached_registry_of_the_wrong_shape_is_rebuilt(client: LanguageClient, tmp_path, entry):
    from dagster_components_ls.project.discovery import find_project, resolve_interpreter
    from dagster_components_ls.project.registry import fingerprint, registry_cache_file

    root = write_project(tmp_path / "shop")
    project = find_project(root)
    python = resolve_interpreter(sys.executable, root)
    cache_file = SHARED_CACHE / registry_cache_file(python, project).name
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    cache_file.write_text(BAD_CACHE_ENTRIES[entry](fingerprint(python, project)))
    diagnostics = await open_and_wait(client, defs_file(root))
    assert summary(diagnostics) == [
        ("unknown-attribute", 3, 2, 3, 7, "Unknown attribute 'color' for shop.components.gadget.Gadget. Allowed: name")
    ]
    assert [
        (s.state, s.message) for s in statuses(client) if s.subject == "registry" and s.project == root.as_uri()
    ] == [
        ("loading", "Reading component types"),
        (
            "ready",
            f"{15 if DAGSTER_VERSION >= (1, 13) else 14} component types "  # 1.11 has no DbtCloudComponent
            f"(Dagster {'.'.join(map(str, DAGSTER_VERSION))})",
        ),
    ]
    rebuilt = json.loads(cache_file.read_text())
    assert "shop.components.gadget.Gadget" in [t["key"] for t in rebuilt["registry"]["types"]]


BUILD_FAULTS = {
    "exits": ("import sys\nsys.exit(3)", "SystemExit: 3"),
    # The call's cap (15 s) gives each document's build_defs a quarter of it.
    "hangs": ("import time\ntime.sleep(3600)", "BuildTimeout: build_defs did not finish within 3.75 s"),
}


@pytest.mark.parametrize("fault", list(BUILD_FAULTS))
@pytest.mark.asyncio(loop_scope="function")
async def test_a_build_defs_that_exits_or_hangs_is_a_load_error_told_once(client: LanguageClient, tmp_path, fault):
    code, error = BUILD_FAULTS[fault]
    root = write_project(tmp_path / "shop")
    gadget_module(root).write_text(
        GADGET_V1.replace(
            "        return dg.Definitions()\n",
            "".join(f"        {line}\n" for line in code.splitlines()) + "        return dg.Definitions()\n",
        )
    )
    path = defs_file(root)
    path.write_text("type: shop.components.gadget.Gadget\nattributes:\n  name: g\n")
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(
            settings={"dagsterComponents": {"python": sys.executable, "lineage": {"enabled": True}}}
        )
    )
    await open_and_wait(client, path)
    uri = path.as_uri()
    assert await until(client, lambda: any(d.code == "load-error" for d in client.diagnostics.get(uri, ())))
    assert summary(client.diagnostics[uri]) == [("load-error", 0, 6, 0, 35, error)]
    told = f"Loading src/shop/defs/gadgets/defs.yaml (document 1) failed: {error}"
    assert [m.message for m in client.messages if m.message.startswith("Loading")] == [told]
    # Typing and saving again (the same failure): told once, not on every change or load.
    for version in (SYNC_VERSION + 1, SYNC_VERSION + 2):
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=path.read_text())],
            )
        )
    loads = len([s for s in statuses(client) if s.subject == "lineage" and s.state != "loading"])
    client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    assert await until(
        client,
        lambda: len([s for s in statuses(client) if s.subject == "lineage" and s.state != "loading"]) > loads,
        timeout=60,
    )
    assert [m.message for m in client.messages if m.message.startswith("Loading")] == [told]
