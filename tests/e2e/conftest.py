import os
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
SERVER_COMMAND = [sys.executable, "-m", "dagster_components_ls"]

GADGET_V1 = '''
"""A project-local component whose code the tests edit."""

import dagster as dg


class Gadget(dg.Component, dg.Model, dg.Resolvable):
    """Builds one gadget asset."""

    name: str

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        return dg.Definitions()
'''


def write_project(root: Path) -> Path:
    """A small dg project that is not installed anywhere: the worker finds it through its src/ folder."""
    files = {
        "pyproject.toml": """
            [project]
            name = "shop"
            version = "0.0.1"

            [tool.dg]
            directory_type = "project"

            [tool.dg.project]
            root_module = "shop"
            registry_modules = ["shop.components.*"]
        """,
        "src/shop/__init__.py": "",
        "src/shop/components/__init__.py": "",
        "src/shop/components/gadget.py": GADGET_V1,
        "src/shop/defs/__init__.py": "",
        "src/shop/defs/gadgets/defs.yaml": """
            type: shop.components.gadget.Gadget
            attributes:
              name: g
              color: red
        """,
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    return root


@pytest.fixture
def cache_env(tmp_path) -> dict[str, str]:
    """The server's environment with a registry cache of the test's own."""
    return {**os.environ, "DAGSTER_COMPONENTS_LS_CACHE": str(tmp_path / "cache")}
