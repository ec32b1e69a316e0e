"""The worker as a real subprocess in the development venv: registry, containment, restart, cache."""

import importlib.metadata
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from e2e_support import DAGSTER_VERSION

from dagster_components_ls.checks.diagnostics import diagnose_text
from dagster_components_ls.model.context import CheckContext
from dagster_components_ls.project.discovery import find_project
from dagster_components_ls.project.registry import cache_dir, load_registry
from dagster_components_ls.project.worker_client import WORKER_DIR, WorkerError, WorkerProcess

REPO = Path(__file__).parents[2]
PYTHON = Path(sys.executable)  # the suite's own venv, whose Dagster (1.13 or, in ./dev test-compat, 1.11) is under test
MINI = REPO / "tests" / "fixtures" / "projects" / "mini"
MINI_DEFS = MINI / "src" / "mini" / "defs"


@pytest.fixture(scope="module")
def cold(tmp_path_factory):
    """One cold registry load of the mini project: (registry, raw cache file, worker stderr)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DAGSTER_COMPONENTS_LS_CACHE", str(tmp_path_factory.mktemp("cache")))
        with WorkerProcess(PYTHON, MINI) as worker:
            registry = load_registry(PYTHON, find_project(MINI), worker=worker)
            stderr = worker.stderr_tail(200)
        [cache_file] = cache_dir().glob("registry-*.json")
        yield registry, cache_file.read_text(), stderr, cache_dir()


def test_registry_has_dbt_project_component(cold):
    dbt = cold[0].types["dagster_dbt.DbtProjectComponent"]
    assert (dbt.aliases, dbt.package, dbt.version, dbt.schema["required"], dbt.summary) == (
        ("dagster_dbt.components.dbt_project.component.DbtProjectComponent",),
        "dagster-dbt",
        importlib.metadata.version("dagster-dbt"),
        ["project"],
        "Expose a DBT project to Dagster as a set of assets.",
    )
    assert cold[0].lookup("dagster_dbt.components.dbt_project.component.DbtProjectComponent") is dbt


def test_registry_keeps_only_components(cold, tmp_path):
    # Dagster's own types, exactly as `dg list components` of the same environment lists them (outside a project).
    listed = subprocess.run(
        [str(PYTHON.parent / "dg"), "list", "components", "--json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    items = json.loads(listed)
    items = items["items"] if isinstance(items, dict) else items  # 1.11 prints a bare list
    dagster_types = sorted(item["key"] for item in items if item["key"].startswith("dagster."))
    assert [key for key in cold[0].types if key.startswith("dagster.")] == dagster_types
    assert "dagster.DefsFolderComponent" in dagster_types


def test_registry_has_project_types_from_registry_modules_and_defs_files(cold):
    local = {
        key: (t.source_path, t.source_line, t.package, t.schema.get("required"))
        for key, t in cold[0].types.items()
        if key.startswith("mini.")
    }
    src = MINI / "src" / "mini"
    assert local == {
        "mini.components.widget.Widget": (src / "components/widget.py", 8, None, ["name"]),  # registry_modules
        "mini.defs.reports.local.LocalReport": (src / "defs/reports/local.py", 6, None, ["title"]),  # .local.X
        "mini.defs.nested.deeper.Deep": (src / "defs/nested/deeper/__init__.py", 6, None, None),  # .Deep
        "mini.lib.extra.Extra": (src / "lib/extra.py", 10, None, ["count"]),  # absolute type:
    }


def test_modules_that_raise_on_import_are_module_errors(cold):
    errors = {name: error for name, error in cold[0].module_errors.items() if name.startswith("mini.")}
    assert errors == {
        "mini.components.broken": "RuntimeError: broken on purpose",
        "mini.components.quitter": "SystemExit: 3",
    }


def test_user_output_goes_to_stderr_even_from_subprocesses(cold):
    lines = cold[2].splitlines()
    assert ("quitter says goodbye" in lines, "quitter child says goodbye" in lines) == (True, True)


def test_schemas_have_no_unset_sentinel(cold):
    _, raw, _, _ = cold
    assert ("__DAGSTER_UNSET_DEFAULT__" in raw, '"default": "__DAGSTER_UNSET_DEFAULT__"' in raw) == (False, False)
    properties = cold[0].types["dagster_dbt.DbtProjectComponent"].schema["properties"]
    if "cli_args" in properties:  # dagster-dbt 0.27.0 and 0.27.1 have no cli_args
        assert "default" not in properties["cli_args"]


def test_fields_the_code_deprecates_carry_its_reason_and_get_warnings(cold):
    registry = cold[0]
    # Read from dagster-sling's own code (its `sling` resolver calls `deprecation_warning`); no other
    # installed type deprecates a field on 1.11 or 1.13.
    marked = [
        (key, name)
        for key, t in registry.types.items()
        for name, prop in ((t.schema or {}).get("properties") or {}).items()
        if prop.get("deprecated")
    ]
    assert marked == [("dagster_sling.SlingReplicationCollectionComponent", "sling")]
    text = "type: dagster_sling.SlingReplicationCollectionComponent\nattributes:\n  sling: {}\n"
    problems = [p for p in diagnose_text(text, CheckContext(registry=registry)) if p.code == "deprecated"]
    assert [(text[p.span.start : p.span.end], p.severity, p.message) for p in problems] == [
        (
            "sling",
            "warning",
            "The `sling` field is deprecated, use `connections` instead. This field will be removed "
            "in a future release.",
        )
    ]


def test_envelope_and_post_processing_schemas(cold):
    registry = cold[0]
    assert sorted(registry.envelope_schema["properties"]) == [
        "attributes",
        "post_processing",
        "requirements",
        "template_vars_module",
        "type",
    ]
    assert (registry.envelope_schema["required"], registry.envelope_schema["additionalProperties"]) == (["type"], False)
    assert list(registry.post_processing_schema["properties"]) == ["assets"]
    assert registry.dagster_version == importlib.metadata.version("dagster")


def test_template_scope(cold):
    scope = cold[0].template_scope
    if DAGSTER_VERSION >= (1, 13):
        assert (scope["globals"], scope["deprecated"]) == (
            [
                "env",
                "dg",
                "datetime",
                "automation_condition",
                "context",
                "project_root",
                "load_component_at_path",
                "build_defs_at_path",
            ],
            {
                "automation_condition": "use {{ dg.AutomationCondition.* }}",
                "project_root": "use {{ context.project_root }}",
                "load_component_at_path": "use {{ context.load_component }}",
                "build_defs_at_path": "use {{ context.build_defs }}",
            },
        )
    elif DAGSTER_VERSION >= (1, 11, 4):  # 1.11: no `dg`, `datetime` or `context` yet, so nothing is deprecated
        assert (scope["globals"], scope["deprecated"]) == (
            ["env", "automation_condition", "project_root", "load_component_at_path", "build_defs_at_path"],
            {},
        )
    else:  # the two functions arrived in 1.11.4
        assert (scope["globals"], scope["deprecated"]) == (["env", "automation_condition", "project_root"], {})
    # What signature help shows for Dagster's callables, read with inspect from the scope's own objects.
    signatures = {name: s["parameters"] for name, s in scope["signatures"].items()}
    if DAGSTER_VERSION >= (1, 13):  # older releases' annotations differ
        assert signatures["env"] == ["key: str", "default: str | Any | None = ..."]
        assert signatures["context.load_component"] == [
            "defs_path: ResolvableToComponentPath",
            "expected_type: type[T] | None = None",
        ]
        assert scope["signatures"]["context.load_component"]["documentation"].startswith("Loads a component")
    assert scope["user_vars"] == {
        str(MINI_DEFS / "reports" / "template_vars.py"): ["report_owner", "table_name"],
        "mini.components.widget.Widget": ["widget_prefix"],
    }
    # Every dbt type with a `translation` field: dagster-dbt 0.27 (Dagster 1.11) has no DbtCloudComponent, and
    # 0.29.0's has no translation yet.
    dbt = {name: cold[0].types.get(f"dagster_dbt.{name}") for name in ("DbtCloudComponent", "DbtProjectComponent")}
    dbt_types = [name for name, t in dbt.items() if t is not None and "translation" in t.schema.get("properties", {})]
    assert "DbtProjectComponent" in dbt_types
    assert {key: vars_ for key, vars_ in scope["per_type"].items() if key.startswith("dagster_dbt.")} == {
        f"dagster_dbt.{name}": {"translation": ["node", "spec"]} for name in dbt_types
    }
    assert scope["per_type"]["dagster_sling.SlingReplicationCollectionComponent"] == {
        "replications.translation": ["spec", "stream_definition"]
    }


def test_warm_start_imports_no_dagster_and_starts_no_process(cold):
    # A fresh interpreter, so sys.modules and the in-memory interpreter probe start empty.
    script = f"""
import json, subprocess, sys
from pathlib import Path
def refuse(*args, **kwargs):
    raise AssertionError(f"started a process: {{args}}")
subprocess.Popen = refuse
from dagster_components_ls.checks.diagnostics import diagnose_text
from dagster_components_ls.model.context import CheckContext
from dagster_components_ls.project.discovery import find_project
from dagster_components_ls.project.registry import load_registry
registry = load_registry(Path({str(PYTHON)!r}), find_project(Path({str(MINI)!r})))
print(json.dumps({{"types": len(registry.types), "dagster": "dagster" in sys.modules}}))
"""
    env = {**os.environ, "DAGSTER_COMPONENTS_LS_CACHE": str(cold[3])}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
    assert (out.returncode, out.stderr) == (0, "")
    assert json.loads(out.stdout) == {"types": len(cold[0].types), "dagster": False}


def running(pid: int) -> bool:
    """True while the process exists and is not a zombie waiting for a parent to reap it."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True  # no /proc (macOS): os.kill is the answer


def wait_until_gone(pids: list[int], within: float = 5.0) -> list[int]:
    deadline = time.monotonic() + within
    while any(running(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return [p for p in pids if running(p)]


def test_timeout_kills_the_whole_process_group(tmp_path):
    pidfile = tmp_path / "pids"
    with WorkerProcess(PYTHON, MINI, env={**os.environ, "MINI_SLEEPER_PIDFILE": str(pidfile)}) as worker:
        worker_pid = worker.call("ping", timeout=30)["pid"]
        started = time.monotonic()
        with pytest.raises(WorkerError) as caught:
            worker.call(
                "registry",
                {"project_root": str(MINI), "extra_modules": ["mini.slow.sleeper"], "seconds_per_module": 60},
                timeout=3,
            )
        elapsed = time.monotonic() - started
        assert (caught.value.kind, caught.value.message) == (
            "timeout",
            "worker call registry timed out while importing 'mini.slow.sleeper'; the worker was killed",
        )
        assert 3 <= elapsed < 5
        call_pid, sleep_pid = map(int, pidfile.read_text().split())
        assert wait_until_gone([worker_pid, call_pid, sleep_pid]) == []
        assert worker.pid is None


# Modules that end or stop the registry build where they run: each must cost only its own types.
FATAL_MODULES = {
    "mini.slow.sleeper": "did not finish within 5 s",
    "mini.slow.exiter": "ended the process (exit code 7)",
    "mini.slow.segfaulter": "crashed the process (signal 11, SIGSEGV)",
}


def test_a_module_that_hangs_exits_or_crashes_costs_only_its_own_types(tmp_path):
    pidfile = tmp_path / "pids"
    with WorkerProcess(PYTHON, MINI, env={**os.environ, "MINI_SLEEPER_PIDFILE": str(pidfile)}) as worker:
        pid = worker.call("ping")["pid"]
        result = worker.call(
            "registry",
            {"project_root": str(MINI), "extra_modules": list(FATAL_MODULES), "seconds_per_module": 5},
            timeout=120,
        )
        assert worker.call("ping")["pid"] == pid
        call_pid = int(pidfile.read_text().split()[0])
        assert wait_until_gone([call_pid]) == []
    errors = {name: error for name, error in result["module_errors"].items() if name.startswith("mini.")}
    assert errors == {
        "mini.components.broken": "RuntimeError: broken on purpose",
        "mini.components.quitter": "SystemExit: 3",
        **FATAL_MODULES,
    }
    keys = [t["key"] for t in result["types"]]
    assert {
        "dagster.DefsFolderComponent",
        "dagster_dbt.DbtProjectComponent",
        "mini.components.widget.Widget",
        "mini.lib.extra.Extra",
    } <= set(keys)


def test_a_worker_that_exits_is_restarted_on_the_next_call():
    with WorkerProcess(PYTHON, MINI) as worker:
        first = worker.call("ping")["pid"]
        os.kill(first, signal.SIGKILL)
        assert wait_until_gone([first]) == []
        second = worker.call("ping", timeout=10)
        assert (second["protocol"], second["pid"] != first) == (1, True)


def test_a_worker_that_cannot_run_backs_off():
    with WorkerProcess(Path("/bin/false"), MINI) as worker:  # starts, then exits at once
        with pytest.raises(WorkerError) as first:
            worker.call("ping", timeout=10)
        # the next start waits 0.5 s, longer than this call may take
        with pytest.raises(WorkerError) as second:
            worker.call("ping", timeout=0.2)
    assert (first.value.kind, second.value.kind) == ("unavailable", "unavailable")
    assert first.value.message.startswith("/bin/false is not a Python interpreter that can run the worker")
    assert second.value.message.startswith("worker restarts in")


def test_a_missing_interpreter_is_unavailable(tmp_path):
    with WorkerProcess(tmp_path / "no-python", MINI) as worker:
        with pytest.raises(WorkerError) as caught:
            worker.call("ping")
    assert (caught.value.kind, caught.value.message.startswith(f"cannot start the worker with {tmp_path}")) == (
        "unavailable",
        True,
    )


def test_bad_requests_get_error_responses_and_the_worker_lives_on():
    requests = [
        "not json",
        "[1]",
        json.dumps({"id": 1, "method": "nope"}),
        json.dumps({"id": 2, "method": "registry", "params": {"project_root": 3}}),
        json.dumps({"id": 3, "method": "ping"}),
        json.dumps({"id": 4, "method": "shutdown"}),
    ]
    out = subprocess.run(
        [str(PYTHON), str(WORKER_DIR)],
        input="\n".join(requests) + "\n",
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    responses = [json.loads(line) for line in out.stdout.splitlines()]
    errors = [(r["id"], r["error"]["kind"], r["error"]["message"]) for r in responses if "error" in r]
    assert errors == [
        (None, "bad-request", "not JSON: Expecting value: line 1 column 1 (char 0)"),
        (None, "bad-request", "a request is a JSON object"),
        (1, "bad-request", "unknown method 'nope'"),
        (2, "bad-request", "project_root must be a string or null"),
    ]
    assert [(r["id"], sorted(r["result"])) for r in responses if "result" in r] == [
        (3, ["pid", "protocol", "python"]),
        (4, []),
    ]


def test_worker_error_responses_raise_exception_errors():
    with WorkerProcess(PYTHON, MINI) as worker:
        with pytest.raises(WorkerError) as caught:
            worker.call("nope")
    assert (caught.value.kind, caught.value.message) == ("exception", "unknown method 'nope'")


@pytest.fixture
def shop_copy(tmp_path, monkeypatch):
    """A copy of the mini project the test may edit, with a cache of its own."""
    import shutil

    monkeypatch.setenv("DAGSTER_COMPONENTS_LS_CACHE", str(tmp_path / "cache"))
    root = tmp_path / "mini"
    shutil.copytree(MINI, root, ignore=shutil.ignore_patterns("__pycache__", "slow"))
    return root


def test_cache_follows_component_code(shop_copy):
    """Cold load, warm load (no worker), then an edited component is read again by a new worker."""
    project = find_project(shop_copy)
    first = load_registry(PYTHON, project)
    with WorkerProcess(PYTHON, shop_copy) as unused:
        assert load_registry(PYTHON, project, worker=unused) == first
        assert unused.pid is None  # the cache answered: no process was started
    widget = shop_copy / "src" / "mini" / "components" / "widget.py"
    widget.write_text(widget.read_text().replace("    name: str\n", "    name: str\n    color: str = 'red'\n"))
    second = load_registry(PYTHON, project)
    assert sorted(second.types["mini.components.widget.Widget"].schema["properties"]) == ["color", "name", "size"]
    assert sorted(first.types["mini.components.widget.Widget"].schema["properties"]) == ["name", "size"]


def test_corrupt_cache_is_a_cold_start_and_cache_only_never_starts_a_worker(shop_copy):
    project = find_project(shop_copy)
    with pytest.raises(WorkerError, match="not trusted and no component types are cached"):
        load_registry(PYTHON, project, cache_only=True)
    first = load_registry(PYTHON, project)
    [cache_file] = cache_dir().glob("registry-*.json")
    cache_file.write_text("{not json")
    assert load_registry(PYTHON, project) == first
    assert load_registry(PYTHON, project, cache_only=True) == first
    assert json.loads(cache_file.read_text())["registry"]["types"]


def test_extra_types_resolve_re_exports_as_aliases(shop_copy):
    registry = load_registry(PYTHON, None, extra_types=["dagster.components.DefsFolderComponent", "nope.Missing"])
    folder = registry.lookup("dagster.components.DefsFolderComponent")
    assert folder is not None and folder.key == "dagster.DefsFolderComponent"
    assert "dagster.components.DefsFolderComponent" in folder.aliases
    assert registry.lookup("nope.Missing") is None and "nope" not in registry.module_errors


LEGACY = """
from dataclasses import dataclass
from typing import Optional

import dagster as dg
from dagster._annotations import deprecated_param
from pydantic import Field


class Legacy(dg.Component, dg.Model, dg.Resolvable):
    name: str = ""
    old_name: Optional[str] = Field(default=None, deprecated="use `name` instead")

    def build_defs(self, context):
        return dg.Definitions()


@deprecated_param(param="size", breaking_version="2.0", additional_warn_text="Use `volume`.")
@dataclass
class Knob(dg.Component, dg.Resolvable):
    volume: int = 0
    size: Optional[int] = None

    def build_defs(self, context):
        return dg.Definitions()
"""


def test_a_projects_own_deprecations_come_from_pydantic_and_dagsters_annotations(shop_copy):
    (shop_copy / "src/mini/components/legacy.py").write_text(LEGACY)
    registry = load_registry(PYTHON, find_project(shop_copy))
    text = (
        "type: mini.components.legacy.Legacy\nattributes:\n  old_name: a\n---\n"
        "type: mini.components.legacy.Knob\nattributes:\n  size: 1\n"
    )
    problems = [p for p in diagnose_text(text, CheckContext(registry=registry)) if p.code == "deprecated"]
    assert [(text[p.span.start : p.span.end], p.message) for p in problems] == [
        ("old_name", "`old_name` is deprecated: use `name` instead"),
        ("size", "`size` is deprecated: It will be removed in 2.0. Use `volume`."),
    ]


def test_an_interrupt_never_kills_a_starting_worker(tmp_path):
    """A save's interrupt can arrive while the worker is still starting, before it handles SIGUSR1
    (whose default action is to exit): it must not be sent then."""
    import threading

    with WorkerProcess(PYTHON, tmp_path) as worker:
        answers = []
        thread = threading.Thread(target=lambda: answers.append(worker.call("ping", {}, timeout=60)))
        thread.start()
        while thread.is_alive():
            worker.interrupt()
            time.sleep(0.001)
        assert answers and "error" not in answers[0]
        assert worker.pid is not None


def test_the_registry_reads_the_projects_own_files_over_an_installed_copy(tmp_path, monkeypatch):
    """A copy of acme_analytics (installed editable from the repository): its edited component is what the
    registry reads, as the load loads it, not the installed package's."""
    import shutil

    monkeypatch.setenv("DAGSTER_COMPONENTS_LS_CACHE", str(tmp_path / "cache"))
    source = REPO / "examples" / "acme_analytics"
    copy = tmp_path / "acme_analytics"
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("__pycache__", ".venv", "target", "*.duckdb"))
    metric = copy / "src" / "acme_analytics" / "components" / "metric.py"
    metric.write_text(metric.read_text().replace("    column: str = ", "    unit: str\n    column: str = "))
    key = "acme_analytics.components.metric.Metric"
    installed = load_registry(PYTHON, find_project(source)).types[key].schema
    copied = load_registry(PYTHON, find_project(copy)).types[key].schema
    assert ("unit" in installed["properties"], "unit" in copied["properties"]) == (False, True)
    assert "unit" in copied["required"]
