"""Helpers shared by the end-to-end tests: paths, the server command, a small editable dg project."""

import sys
import textwrap
from pathlib import Path

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
