"""params.py: our requests' and commands' params read as dicts, whatever shape pygls hands them over in."""

from collections import namedtuple

import pytest

from dagster_components_ls.lsp.params import first_arg, lineage_request, params_dict, resolved_request

TextDocument = namedtuple("TextDocument", "uri")
Request = namedtuple("Request", "textDocument document")


def test_params_dict_reads_nested_namedtuples():
    assert params_dict(Request(TextDocument("file:///a"), 1)) == {"textDocument": {"uri": "file:///a"}, "document": 1}
    assert params_dict({"uri": "x"}) == {"uri": "x"}
    assert params_dict(None) == {}


@pytest.mark.parametrize(
    "args, expected",
    [
        pytest.param(({"type": "a.B"},), {"type": "a.B"}, id="items"),
        pytest.param(([{"type": "a.B"}],), {"type": "a.B"}, id="the-list-itself"),
        pytest.param(([],), {}, id="empty-list"),
        pytest.param((), {}, id="no-args"),
        pytest.param(("a.B",), {}, id="not-a-dict"),
    ],
)
def test_first_arg(args, expected):
    assert first_arg(args) == expected


def test_lineage_request():
    assert lineage_request({"textDocument": {"uri": "file:///a"}, "document": 2}) == ("file:///a", 2, 1)
    assert lineage_request({"uri": "file:///a", "depth": 3}) == ("file:///a", None, 3)
    with pytest.raises(ValueError, match="dagster/lineage needs textDocument.uri"):
        lineage_request({"document": 0})


@pytest.mark.parametrize(
    "params, expected",
    [
        pytest.param({"textDocument": {"uri": "file:///a"}, "document": 1}, ("file:///a", 1), id="design-shape"),
        pytest.param({"uri": "file:///a"}, ("file:///a", None), id="uri-only-all-documents"),
        pytest.param({"uri": "file:///a", "document": True}, ("file:///a", None), id="not-an-index"),
    ],
)
def test_resolved_request(params, expected):
    assert resolved_request(params) == expected


def test_resolved_request_needs_a_uri():
    with pytest.raises(ValueError, match="dagster/resolved needs textDocument.uri"):
        resolved_request({"document": 0})
