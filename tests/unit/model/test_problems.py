"""model/problems.py: which problems a `# dagster-components-ls: ignore[...]` comment drops."""

import pytest

from dagster_components_ls.model.positions import Span
from dagster_components_ls.model.problems import Problem, without_suppressed

TEXT = (
    "type: x  # dagster-components-ls: ignore[unknown-type]\n# dagster-components-ls: ignore[policy:]\nattributes: {}\n"
)
ON_LINE_1 = Span(0, 4)
ON_LINE_3 = Span(TEXT.index("attributes"), TEXT.index("attributes") + 10)


@pytest.mark.parametrize(
    "span, code, kept",
    [
        pytest.param(ON_LINE_1, "unknown-type", False, id="the-code-named-on-its-line"),
        pytest.param(ON_LINE_1, "invalid-value", True, id="another-code-on-that-line"),
        pytest.param(ON_LINE_3, "policy:allowed-types", False, id="a-prefix-on-the-line-above"),
        pytest.param(ON_LINE_3, "unknown-attribute", True, id="outside-the-prefix"),
    ],
)
def test_without_suppressed(span, code, kept):
    problem = Problem(span, code, "message")
    assert without_suppressed(TEXT, [problem]) == ([problem] if kept else [])
