"""model/context.py: relative typenames, did-you-mean, and rapidfuzz left out until a suggestion is asked."""

import subprocess
import sys

import pytest

from dagster_components_ls.model.context import CheckContext, resolve_typename, suggest


@pytest.mark.parametrize(
    "typename, folder_module, expected",
    [
        pytest.param("dagster_dbt.DbtProjectComponent", None, "dagster_dbt.DbtProjectComponent", id="absolute"),
        pytest.param(".Reports", "acme.defs.reports", "acme.defs.reports.Reports", id="relative-in-a-defs-folder"),
        pytest.param(".Reports", None, None, id="relative-outside-a-project"),
    ],
)
def test_resolve_typename(typename, folder_module, expected):
    assert resolve_typename(typename, CheckContext(registry=None, folder_module=folder_module)) == expected


@pytest.mark.parametrize(
    "word, expected",
    [
        pytest.param("attribtes", "attributes", id="a-typo"),
        pytest.param("zzz", None, id="nothing-close"),
    ],
)
def test_suggest(word, expected):
    assert suggest(word, ("type", "attributes", "requirements")) == expected


def test_rapidfuzz_is_imported_on_the_first_suggestion_only():
    # A fresh interpreter: the features a first completion needs import no rapidfuzz (start-up time).
    script = (
        "import sys\n"
        "import dagster_components_ls.features.completion, dagster_components_ls.checks.diagnostics\n"
        "before = 'rapidfuzz' in sys.modules\n"
        "from dagster_components_ls.model.context import suggest\n"
        "suggest('x', ['y'])\n"
        "print(before, 'rapidfuzz' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]
