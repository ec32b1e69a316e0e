from pathlib import Path

import pytest
from lsprotocol import types
from odd_documents import ODD_DOCUMENTS

from dagster_components_ls.features.symbols import document_symbols, matches, workspace_symbols
from dagster_components_ls.model.context import CheckContext
from dagster_components_ls.model.documents import parse_file
from dagster_components_ls.model.positions import UTF8, LineIndex

CTX = CheckContext(registry=None, folder="/repo/src/acme/defs/reports", folder_module="acme.defs.reports")
K = types.SymbolKind


def outline(text: str, ctx: CheckContext = CTX):
    """(name, detail, kind, text of range, text of selection range, children) per symbol."""
    index = LineIndex(text)

    def cut(r: types.Range) -> str:
        return text[index.offset_at(r.start) : index.offset_at(r.end)]

    def shape(symbols):
        return [
            (s.name, s.detail, s.kind, cut(s.range), cut(s.selection_range), shape(s.children or [])) for s in symbols
        ]

    return shape(document_symbols(parse_file(text), ctx, index))


RESEARCH = (
    "type: acme_platform.ResearchJob\n"
    "attributes:\n"
    "  asset_key: research/churn\n"
    "  deps: [customers, orders]\n"
    "  observability:\n"
    "    log_level: info\n"
)


@pytest.mark.parametrize(
    "text, expected",
    [
        pytest.param(
            RESEARCH,
            [
                (
                    "ResearchJob",
                    "acme_platform.ResearchJob · research/churn",
                    K.Class,
                    RESEARCH,
                    "acme_platform.ResearchJob",
                    [
                        ("type", "acme_platform.ResearchJob", K.Field, "type: acme_platform.ResearchJob", "type", []),
                        (
                            "attributes",
                            None,
                            K.Namespace,
                            RESEARCH[RESEARCH.index("attributes") :],
                            "attributes",
                            [
                                (
                                    "asset_key",
                                    "research/churn",
                                    K.Property,
                                    "asset_key: research/churn",
                                    "asset_key",
                                    [],
                                ),
                                (
                                    "deps",
                                    None,
                                    K.Array,
                                    "deps: [customers, orders]",
                                    "deps",
                                    [
                                        ("[0]", "customers", K.Property, "customers", "customers", []),
                                        ("[1]", "orders", K.Property, "orders", "orders", []),
                                    ],
                                ),
                                (
                                    "observability",
                                    None,
                                    K.Object,
                                    "observability:\n    log_level: info\n",
                                    "observability",
                                    [
                                        ("log_level", "info", K.Property, "log_level: info", "log_level", []),
                                    ],
                                ),
                            ],
                        ),
                    ],
                )
            ],
            id="component-with-nested-keys",
        ),
        pytest.param(
            "type: dagster_dbt.DbtProjectComponent\nattributes:\n  project: '{{ context.project_root }}/dbt'\n"
            "---\ntype: .local.Report\n",
            [
                (
                    "DbtProjectComponent",
                    "dagster_dbt.DbtProjectComponent · {{ context.project_root }}/dbt",
                    K.Class,
                    "type: dagster_dbt.DbtProjectComponent\nattributes:\n  project: '{{ context.project_root }}/dbt'\n",
                    "dagster_dbt.DbtProjectComponent",
                    [
                        (
                            "type",
                            "dagster_dbt.DbtProjectComponent",
                            K.Field,
                            "type: dagster_dbt.DbtProjectComponent",
                            "type",
                            [],
                        ),
                        (
                            "attributes",
                            None,
                            K.Namespace,
                            "attributes:\n  project: '{{ context.project_root }}/dbt'\n",
                            "attributes",
                            [
                                (
                                    "project",
                                    "{{ context.project_root }}/dbt",
                                    K.Property,
                                    "project: '{{ context.project_root }}/dbt'",
                                    "project",
                                    [],
                                ),
                            ],
                        ),
                    ],
                ),
                (
                    "Report",
                    "acme.defs.reports.local.Report",
                    K.Class,
                    "---\ntype: .local.Report\n",
                    ".local.Report",
                    [
                        ("type", ".local.Report", K.Field, "type: .local.Report", "type", []),
                    ],
                ),
            ],
            id="two-documents-relative-type-resolved",
        ),
        pytest.param(
            "type: a.B\n---\nattributes: [\n---\n# nothing\n---\n",
            [
                ("B", "a.B", K.Class, "type: a.B\n", "a.B", [("type", "a.B", K.Field, "type: a.B", "type", [])]),
                ("Document 2", "invalid YAML", K.Class, "---\nattributes: [\n", "attributes: [", []),
            ],
            id="broken-and-empty-documents",
        ),
        pytest.param(
            "- 1\n- {a: b}\n",
            [
                (
                    "Document 1",
                    "not a mapping",
                    K.Class,
                    "- 1\n- {a: b}\n",
                    "- 1",
                    [
                        ("[0]", "1", K.Property, "1", "1", []),
                        ("[1]", None, K.Object, "{a: b}", "{a: b}", [("a", "b", K.Property, "a: b", "a", [])]),
                    ],
                )
            ],
            id="a-list",
        ),
        pytest.param(
            'attributes:\n  "": x\n  sql: |\n    SELECT *\n    FROM t\n  empty:\n  ? [k]\n  : v\n',
            [
                (
                    "Document 1",
                    None,
                    K.Class,
                    'attributes:\n  "": x\n  sql: |\n    SELECT *\n    FROM t\n  empty:\n  ? [k]\n  : v\n',
                    "attributes:",
                    [
                        (
                            "attributes",
                            None,
                            K.Namespace,
                            'attributes:\n  "": x\n  sql: |\n    SELECT *\n    FROM t\n  empty:\n  ? [k]\n  : v\n',
                            "attributes",
                            [
                                ('""', "x", K.Property, '"": x', '""', []),
                                ("sql", "SELECT *…", K.Property, "sql: |\n    SELECT *\n    FROM t\n", "sql", []),
                                ("empty", None, K.Property, "empty:", "empty", []),
                                ("[k]", "v", K.Property, "[k]\n  : v", "[k]", []),
                            ],
                        ),
                    ],
                )
            ],
            id="no-type-odd-keys-and-block-scalar",
        ),
        pytest.param(
            "base: &b {x: 1}\ncopy: *b\n",
            [
                (
                    "Document 1",
                    None,
                    K.Class,
                    "base: &b {x: 1}\ncopy: *b\n",
                    "base: &b {x: 1}",
                    [
                        (
                            "base",
                            None,
                            K.Namespace,
                            "base: &b {x: 1}",
                            "base",
                            [("x", "1", K.Property, "x: 1", "x", [])],
                        ),
                        ("copy", None, K.Namespace, "copy", "copy", []),
                    ],
                )
            ],
            id="alias-is-not-expanded",
        ),
        pytest.param("", [], id="empty-file"),
    ],
)
def test_document_symbols(text, expected):
    assert outline(text) == expected


FILES = {
    "/repo/src/acme/defs/research/churn/defs.yaml": "type: acme_platform.ResearchJob\n",
    "/repo/src/acme/defs/defs.yaml": "# root\ntype: dagster.DefsFolderComponent\n",
    "/repo/src/acme/defs/dbt/defs.yaml": "type: dagster_dbt.DbtProjectComponent\n---\ntype: 'é.ResearchJob'\n---\n[\n",
    "/elsewhere/lone/defs.yaml": "type: dagster.PythonScriptComponent\n",
}


def found(query: str, encoding: str = "utf-16"):
    files = [(Path(p), parse_file(t)) for p, t in FILES.items()]
    symbols = workspace_symbols(files, query, roots=[Path("/repo/src/acme/defs")], encoding=encoding)
    assert all(s.kind == K.Class for s in symbols)
    return [
        (
            s.name,
            s.container_name,
            s.location.uri,
            s.location.range.start.line,
            s.location.range.start.character,
            s.location.range.end.character,
        )
        for s in symbols
    ]


@pytest.mark.parametrize(
    "query, expected",
    [
        pytest.param(
            "",
            [
                (
                    "DbtProjectComponent dbt",
                    "dagster_dbt.DbtProjectComponent",
                    "file:///repo/src/acme/defs/dbt/defs.yaml",
                    0,
                    6,
                    37,
                ),
                (
                    "DefsFolderComponent defs",
                    "dagster.DefsFolderComponent",
                    "file:///repo/src/acme/defs/defs.yaml",
                    1,
                    6,
                    33,
                ),
                (
                    "PythonScriptComponent lone",
                    "dagster.PythonScriptComponent",
                    "file:///elsewhere/lone/defs.yaml",
                    0,
                    6,
                    35,
                ),
                ("ResearchJob dbt", "é.ResearchJob", "file:///repo/src/acme/defs/dbt/defs.yaml", 2, 6, 21),
                (
                    "ResearchJob research/churn",
                    "acme_platform.ResearchJob",
                    "file:///repo/src/acme/defs/research/churn/defs.yaml",
                    0,
                    6,
                    31,
                ),
            ],
            id="everything-sorted",
        ),
        pytest.param(
            "rjCHURN",
            [
                (
                    "ResearchJob research/churn",
                    "acme_platform.ResearchJob",
                    "file:///repo/src/acme/defs/research/churn/defs.yaml",
                    0,
                    6,
                    31,
                ),
            ],
            id="case-insensitive-subsequence",
        ),
        pytest.param(
            "dbt",
            [
                (
                    "DbtProjectComponent dbt",
                    "dagster_dbt.DbtProjectComponent",
                    "file:///repo/src/acme/defs/dbt/defs.yaml",
                    0,
                    6,
                    37,
                ),
                ("ResearchJob dbt", "é.ResearchJob", "file:///repo/src/acme/defs/dbt/defs.yaml", 2, 6, 21),
            ],
            id="folder-part",
        ),
        pytest.param("zz", [], id="no-match"),
    ],
)
def test_workspace_symbols(query, expected):
    assert found(query) == expected


def test_workspace_symbol_ranges_follow_the_position_encoding():
    # `'é.ResearchJob'` is quoted: the range covers the quotes; é is 2 bytes in UTF-8.
    assert found("ResearchJob dbt", encoding=UTF8)[0][3:] == (2, 6, 22)


@pytest.mark.parametrize(
    "query, name, expected",
    [
        pytest.param("", "anything", True, id="empty"),
        pytest.param("rj", "ResearchJob x", True, id="initials"),
        pytest.param("jr", "ResearchJob x", False, id="order-matters"),
        pytest.param("  RES ", "research", True, id="trimmed"),
    ],
)
def test_matches(query, name, expected):
    assert matches(query, name) is expected


@pytest.mark.parametrize("text", ODD_DOCUMENTS)
def test_never_raises_and_selection_is_inside_range(text):
    def inside(symbols):
        for s in symbols:
            start, end = (s.range.start.line, s.range.start.character), (s.range.end.line, s.range.end.character)
            sel = [
                (s.selection_range.start.line, s.selection_range.start.character),
                (s.selection_range.end.line, s.selection_range.end.character),
            ]
            assert start <= sel[0] <= sel[1] <= end and s.name, s
            inside(s.children or [])

    parsed = parse_file(text)
    inside(document_symbols(parsed, CTX, LineIndex(text)))
    assert all(s.name for s in workspace_symbols([(Path("/p/defs.yaml"), parsed)], ""))
