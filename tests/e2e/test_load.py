"""The worker's `load` call on a small real project: per-document assets, located errors, cancellation."""

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from e2e_support import DAGSTER_VERSION, REPO, SHOP_SKELETON, write_files

from dagster_components_ls.project.worker_client import WorkerProcess

WIDGET = '''
import sys
import time
from typing import Optional

import dagster as dg


class Widget(dg.Component, dg.Model, dg.Resolvable):
    """One widget asset, `widgets/<name>`."""

    name: str
    deps: list[str] = []
    delay: float = 0
    fail: Optional[str] = None
    exit: Optional[int] = None

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        time.sleep(self.delay)
        if self.fail:
            raise RuntimeError(self.fail)
        if self.exit is not None:
            sys.exit(self.exit)

        @dg.asset(key=["widgets", self.name], deps=[dg.AssetKey.from_user_string(d) for d in self.deps],
                  owners=["team:shop"], group_name="widgets")
        def _widget() -> None: ...

        return dg.Definitions(assets=[_widget])
'''


# Dagster 1.11.0 and 1.11.1 build the component tree all at once, with no declaration per document:
# there, lineage loads through the project's own entry point only (the shop fixture has none).
needs_declarations = pytest.mark.skipif(
    DAGSTER_VERSION < (1, 11, 2),
    reason=(
        "needs Dagster 1.11.2's component declarations: test_a_project_without_an_entry_point_names_what_it_needs "
        "and test_a_legacy_entry_point_is_loaded_as_dg_loads_it cover older releases"
    ),
)


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    write_files(
        root,
        {
            **SHOP_SKELETON,
            "src/shop/components/widget.py": WIDGET,
            "src/shop/defs/loose.py": """
            import dagster as dg


            @dg.asset(deps=[dg.AssetKey(["widgets", "b"])])
            def loose() -> None: ...
        """,
            "src/shop/defs/a/defs.yaml": """
            type: shop.components.widget.Widget
            attributes:
              name: a
        """,
            "src/shop/defs/b/defs.yaml": """
            type: shop.components.widget.Widget
            attributes:
              name: b
              deps: [widgets/a]
            ---
            type: shop.components.widget.Widget
            attributes:
              name: c
              deps: [widgets/b, outside/table]
        """,
        },
    )
    return root


@pytest.fixture
def worker(shop: Path):
    with WorkerProcess(Path(sys.executable), shop) as w:
        yield w


def load(worker: WorkerProcess, root: Path) -> dict:
    return worker.call("load", {"project_root": str(root), "prepare": False}, timeout=120)


def producers(result: dict, root: Path) -> dict[str, tuple]:
    return {
        a["key"]: (str(Path(a["producer"]["path"]).relative_to(root)), a["producer"]["document"])
        if a["producer"]
        else None
        for a in result["assets"]
    }


@needs_declarations
def test_assets_map_to_the_document_or_python_file_that_produced_them(worker, shop):
    result = load(worker, shop)
    assert [e["message"] for e in result["errors"]] == []
    defs = "src/shop/defs"
    assert producers(result, shop) == {
        "loose": (f"{defs}/loose.py", None),
        "outside/table": None,
        "widgets/a": (f"{defs}/a/defs.yaml", 0),
        "widgets/b": (f"{defs}/b/defs.yaml", 0),
        "widgets/c": (f"{defs}/b/defs.yaml", 1),
    }
    c = next(a for a in result["assets"] if a["key"] == "widgets/c")
    assert {k: c[k] for k in ("deps", "group", "owners", "materializable")} == {
        "deps": ["outside/table", "widgets/b"],
        "group": "widgets",
        "owners": ["team:shop"],
        "materializable": True,
    }
    assert (result["errors"], result["prepared"]) == ([], [])


@needs_declarations
def test_a_failing_document_is_located_and_the_others_still_load(worker, shop):
    path = shop / "src/shop/defs/b/defs.yaml"
    path.write_text(path.read_text().replace("name: c\n", "name: c\n  fail: the widget factory is closed\n"))
    result = load(worker, shop)
    assert [(Path(e["path"]).name, e["document"], e["key_path"], e["message"]) for e in result["errors"]] == [
        ("defs.yaml", 1, ["attributes", "fail"], "RuntimeError: the widget factory is closed")
    ]
    assert "Traceback" in result["errors"][0]["traceback"]
    assert sorted(producers(result, shop)) == ["loose", "widgets/a", "widgets/b"]


@needs_declarations
def test_a_document_whose_build_defs_exits_is_located_and_the_others_still_load(worker, shop):
    path = shop / "src/shop/defs/b/defs.yaml"
    path.write_text(path.read_text().replace("name: c\n", "name: c\n  exit: 3\n"))
    result = load(worker, shop)
    assert [(Path(e["path"]).name, e["document"], e["message"]) for e in result["errors"]] == [
        ("defs.yaml", 1, "SystemExit: 3")
    ]
    assert sorted(producers(result, shop)) == ["loose", "widgets/a", "widgets/b"]


@needs_declarations
def test_a_document_whose_build_defs_hangs_is_located_and_the_others_still_load(worker, shop):
    path = shop / "src/shop/defs/b/defs.yaml"
    path.write_text(path.read_text().replace("name: c\n", "name: c\n  delay: 3600\n"))
    result = worker.call("load", {"project_root": str(shop), "prepare": False, "seconds_per_document": 2}, timeout=60)
    assert [(Path(e["path"]).name, e["document"], e["message"]) for e in result["errors"]] == [
        ("defs.yaml", 1, "BuildTimeout: build_defs did not finish within 2 s")
    ]
    assert sorted(producers(result, shop)) == ["loose", "widgets/a", "widgets/b"]


@needs_declarations
def test_a_template_variable_that_raises_is_reported_at_the_value_using_it(worker, shop):
    write_files(
        shop,
        {
            "src/shop/defs/a/vars.py": """
            import dagster as dg


            @dg.template_var
            def widget_name() -> str:
                raise LookupError("no widget name configured")
        """,
            "src/shop/defs/a/defs.yaml": """
            type: shop.components.widget.Widget
            template_vars_module: .vars
            attributes:
              name: "{{ widget_name }}"
        """,
        },
    )
    result = load(worker, shop)
    assert [(Path(e["path"]).parent.name, e["document"], e["key_path"], e["message"]) for e in result["errors"]] == [
        ("a", 0, ["attributes", "name"], "LookupError: no widget name configured")
    ]


@needs_declarations
def test_an_unknown_template_name_at_load_is_reported_at_its_value(worker, shop):
    path = shop / "src/shop/defs/a/defs.yaml"
    path.write_text(path.read_text().replace("name: a", 'name: "{{ nmae }}"'))
    result = load(worker, shop)
    scope = (
        "env, dg, datetime, automation_condition, context, project_root, load_component_at_path, build_defs_at_path"
        if DAGSTER_VERSION >= (1, 13)
        # `dg`, `datetime` and `context` arrived in 1.13
        else "env, automation_condition, project_root, load_component_at_path, build_defs_at_path"
        if DAGSTER_VERSION >= (1, 11, 4)
        # the two functions arrived in 1.11.4
        else "env, automation_condition, project_root"
    )
    assert [(e["key_path"], e["message"]) for e in result["errors"]] == [
        (["attributes", "name"], f"UndefinedError: 'nmae' not found in scope, available scope is: {scope}")
    ]


@needs_declarations
def test_the_defs_module_raising_is_reported_at_its_line(worker, shop):
    (shop / "src/shop/defs/__init__.py").write_text("x = 1\nraise ValueError('no defs today')\n")
    result = load(worker, shop)
    assert [(Path(e["path"]).name, e["document"], e["line"], e["message"]) for e in result["errors"]] == [
        ("__init__.py", None, 2, "ValueError: no defs today")
    ]
    assert result["assets"] == []


@needs_declarations
def test_an_edit_is_loaded_fresh_by_the_same_worker(worker, shop):
    assert "widgets/a" in producers(load(worker, shop), shop)
    path = shop / "src/shop/defs/a/defs.yaml"
    path.write_text(path.read_text().replace("name: a", "name: aa"))
    widget = shop / "src/shop/components/widget.py"
    widget.write_text(widget.read_text().replace('group_name="widgets"', 'group_name="gadgets"'))
    result = load(worker, shop)
    assert sorted(producers(result, shop)) == [
        "loose",
        "outside/table",
        "widgets/a",
        "widgets/aa",
        "widgets/b",
        "widgets/c",
    ]
    assert {a["group"] for a in result["assets"] if a["materializable"] and a["key"].startswith("widgets/")} == {
        "gadgets"
    }


@needs_declarations
def test_an_interrupt_cancels_a_running_load_and_the_worker_stays(worker, shop):
    assert "widgets/a" in producers(load(worker, shop), shop)  # the worker is up, Dagster imported
    path = shop / "src/shop/defs/a/defs.yaml"
    path.write_text(path.read_text() + "  delay: 60\n")
    threading.Timer(1.0, worker.interrupt).start()
    started = time.monotonic()
    assert load(worker, shop) == {"cancelled": True}
    assert time.monotonic() - started < 20
    assert _group_members(worker.pid) == [worker.pid]  # the load's child is gone
    path.write_text(path.read_text().replace("  delay: 60\n", ""))
    assert "widgets/a" in producers(load(worker, shop), shop)


def _group_members(pgid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "-g", str(pgid)], capture_output=True, text=True).stdout
    return sorted(int(p) for p in out.split())


@needs_declarations
def test_check_load_reports_an_error_outside_any_document_at_its_python_line(shop):
    (shop / "src/shop/defs/__init__.py").write_text("x = 1\nraise ValueError('no defs today')\n")
    done = subprocess.run(
        [sys.executable, "-m", "dagster_components_ls", "check", "--load", "--format", "json"],
        cwd=shop,
        capture_output=True,
        text=True,
        timeout=300,
    )
    found = [
        (f["path"], f["code"], f["range"]["start"]["line"], f["range"]["end"]["character"], f["message"])
        for f in json.loads(done.stdout)
    ]
    assert (done.returncode, found) == (
        1,
        [("src/shop/defs/__init__.py", "load-error", 1, 33, "ValueError: no defs today")],
    )


@needs_declarations
def test_assets_whose_resource_a_sibling_file_provides_load_and_map_to_their_file(worker, shop):
    # The common layout: defs/assets/*.py need a resource that defs/resources.py provides. Dagster
    # checks resources on the whole code location, never file by file.
    write_files(
        shop,
        {
            "src/shop/defs/assets/__init__.py": "",
            "src/shop/defs/assets/raw.py": """
            import dagster as dg


            @dg.asset(required_resource_keys={"warehouse"})
            def raw_orders() -> None: ...
        """,
            "src/shop/defs/schedules.py": """
            import dagster as dg

            from shop.defs.assets.raw import raw_orders  # imported here, defined in assets/raw.py

            nightly = dg.ScheduleDefinition(name="nightly", target=[raw_orders], cron_schedule="0 2 * * *")
        """,
            "src/shop/defs/resources.py": """
            import dagster as dg


            @dg.definitions
            def resources() -> dg.Definitions:
                return dg.Definitions(resources={"warehouse": dg.ResourceDefinition.none_resource()})
        """,
        },
    )
    result = load(worker, shop)
    assert [e["message"] for e in result["errors"]] == []
    assert producers(result, shop)["raw_orders"] == ("src/shop/defs/assets/raw.py", None)


LEGACY_ENTRY_POINT = {
    "src/shop/definitions.py": """
        import dagster as dg
        from dagster.components import load_defs

        import shop.defs

        defs = dg.Definitions.merge(load_defs(shop.defs), dg.Definitions())
    """,
    "src/shop/defs/files/__init__.py": "",
    "src/shop/defs/files/definitions.py": """
        import dagster as dg

        from shop.defs.files import assets

        defs = dg.Definitions(assets=dg.load_assets_from_modules([assets]))
    """,
    "src/shop/defs/files/assets.py": """
        import dagster as dg


        @dg.asset
        def landed_file() -> None: ...
    """,
    # A script beside a folder's definitions.py: the legacy loader never imports it.
    "src/shop/defs/files/upload_by_hand.py": """
        raise RuntimeError("this script talks to a bucket when it is run")
    """,
}


def test_a_legacy_entry_point_is_loaded_as_dg_loads_it(worker, shop):
    write_files(shop, LEGACY_ENTRY_POINT)
    result = load(worker, shop)
    assert [e["message"] for e in result["errors"]] == []
    defs = "src/shop/defs"
    assert producers(result, shop) == {
        "landed_file": (f"{defs}/files/assets.py", None),
        "loose": (f"{defs}/loose.py", None),
        "outside/table": None,
        "widgets/a": (f"{defs}/a/defs.yaml", 0),
        "widgets/b": (f"{defs}/b/defs.yaml", 0),
        "widgets/c": (f"{defs}/b/defs.yaml", 1),
    }


@needs_declarations
def test_a_target_module_that_raises_is_reported_at_its_line(worker, shop):
    write_files(
        shop,
        {
            "src/shop/definitions.py": """
        import dagster as dg

        raise ImportError("no warehouse driver installed")
    """
        },
    )
    result = load(worker, shop)
    assert [(Path(e["path"]).name, e["line"], e["message"]) for e in result["errors"]] == [
        ("definitions.py", 3, "ImportError: no warehouse driver installed")
    ]


@needs_declarations
def test_project_code_runs_in_the_environment_dg_gives_it(shop):
    # dg runs in the activated venv: its bin/ is on PATH (a component module that builds a dbt
    # resource at import looks for `dbt` there), DAGSTER_IS_DEV_CLI is set (project code reads it),
    # and the project's .env is in the environment of the code it loads.
    write_files(
        shop,
        {
            ".env": "# read by dg list defs\nSHOP_STAGE=staging\n",
            "src/shop/components/tooled.py": """
            import os
            import shutil

            import dagster as dg

            if shutil.which("dbt") is None:
                raise RuntimeError("The dbt executable 'dbt' does not exist")


            class Tooled(dg.Component, dg.Model, dg.Resolvable):
                def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
                    mode = "dev" if os.environ.get("DAGSTER_IS_DEV_CLI") else "deployed"

                    @dg.asset(key=["tooled", mode, os.environ.get("SHOP_STAGE", "no-stage")])
                    def _tooled() -> None: ...

                    return dg.Definitions(assets=[_tooled])
        """,
            "src/shop/defs/tooled/defs.yaml": "type: shop.components.tooled.Tooled\n",
        },
    )
    env = {**os.environ, "PATH": "/usr/bin:/bin", "DAGSTER_COMPONENTS_LS_CACHE": str(shop / ".cache")}
    env.pop("DAGSTER_IS_DEV_CLI", None)
    env.pop("VIRTUAL_ENV", None)
    run = [sys.executable, "-m", "dagster_components_ls"]
    checked = subprocess.run(
        [*run, "check", "--load", "--format", "json"], cwd=shop, env=env, capture_output=True, text=True, timeout=300
    )
    assert (checked.returncode, json.loads(checked.stdout)) == (0, [])
    shown = subprocess.run(
        [*run, "lineage", "src/shop/defs/tooled/defs.yaml", "--format", "json"],
        cwd=shop,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert [a["key"] for a in json.loads(shown.stdout)["assets"] if a["role"] == "produced"] == ["tooled/dev/staging"]


@needs_declarations
def test_a_projects_own_dbt_prepare_runs_only_when_its_manifest_is_stale(worker, shop):
    # Project code that calls DbtProject.prepare_if_dev() at import (as Hooli's does) parses dbt on
    # every load under dg; the load parses only when the manifest is older than the dbt project.
    shutil.copytree(REPO / "examples" / "acme_analytics" / "dbt" / "jaffle_shop", shop / "jaffle")
    write_files(
        shop,
        {
            "src/shop/defs/transform.py": """
        from pathlib import Path

        import dagster as dg
        from dagster_dbt import DbtCliResource, DbtProject, dbt_assets

        project = DbtProject(project_dir=Path(__file__).parents[3] / "jaffle")
        project.prepare_if_dev()


        @dbt_assets(manifest=project.manifest_path)
        def jaffle(context: dg.AssetExecutionContext, dbt: DbtCliResource):
            yield from dbt.cli(["build"], context=context).stream()
    """,
            "src/shop/defs/resources.py": """
        import dagster as dg
        from dagster_dbt import DbtCliResource


        @dg.definitions
        def resources() -> dg.Definitions:
            return dg.Definitions(resources={"dbt": DbtCliResource(project_dir="jaffle")})
    """,
        },
    )
    manifest = shop / "jaffle" / "target" / "manifest.json"
    assert "orders" in producers(load(worker, shop), shop)  # no manifest yet: parsed
    parsed_at = manifest.stat().st_mtime_ns
    assert "orders" in producers(load(worker, shop), shop)
    assert manifest.stat().st_mtime_ns == parsed_at  # current: not parsed again
    model = shop / "jaffle" / "models" / "orders.sql"
    model.write_text(model.read_text() + "\n")
    assert "orders" in producers(load(worker, shop), shop)
    assert manifest.stat().st_mtime_ns > parsed_at  # a model changed: parsed again


@needs_declarations
def test_a_resource_no_file_provides_is_a_load_error_and_the_lineage_stays(worker, shop):
    write_files(
        shop,
        {
            "src/shop/defs/raw.py": """
        import dagster as dg


        @dg.asset(required_resource_keys={"warehouse"})
        def raw_orders() -> None: ...
    """
        },
    )
    result = load(worker, shop)
    assert [(e["path"], e["message"]) for e in result["errors"]] == [
        (
            None,
            (
                "DagsterInvalidDefinitionError: resource with key 'warehouse' required by op 'raw_orders' was not provided. "
                "Please provide a ResourceDefinition to key 'warehouse', or change the required key to one of the following "
                "keys which points to an ResourceDefinition: ['io_manager']"
            ),
        )
    ]
    assert producers(result, shop)["raw_orders"] == ("src/shop/defs/raw.py", None)
    assert "widgets/a" in producers(result, shop)


def test_a_project_without_an_entry_point_names_what_it_needs(worker, shop):
    result = load(worker, shop)
    if DAGSTER_VERSION >= (1, 11, 2):  # the component tree finds every document
        assert (sorted(producers(result, shop)), result["errors"]) == (
            ["loose", "outside/table", "widgets/a", "widgets/b", "widgets/c"],
            [],
        )
        return
    assert (result["assets"], [(e["path"], e["message"]) for e in result["errors"]]) == (
        [],
        [
            (
                None,  # the project's: shown at pyproject.toml
                f"TreeUnsupported: Dagster {'.'.join(map(str, DAGSTER_VERSION))}'s component tree has no declarations: on this "
                "Dagster, lineage needs the project's own entry point (shop.definitions); Dagster 1.11.2 and newer load the "
                "defs folder without one",
            )
        ],
    )
