from pathlib import Path

import pytest
from carets import with_caret

from dagster_components_ls.model.documents import indentation_key_path, parse_file, split_documents

REPO = Path(__file__).resolve().parents[3]
CORPUS = REPO.parent / "shared" / "corpus" / "realworld"


def yaml_files() -> list[Path]:
    files = sorted(CORPUS.rglob("*.yaml")) + sorted(CORPUS.rglob("*.yml"))
    files += sorted((REPO / "examples").rglob("defs.yaml"))
    return [f for f in files if ".local_defs_state" not in f.parts]


def key_path(text: str):
    text, offset = with_caret(text)
    parsed = parse_file(text)
    doc = parsed.document_at(offset)
    return doc.key_path_at(offset - doc.start)


@pytest.mark.parametrize(
    "text, expected",
    [
        pytest.param("type: dagster_dbt.Db|", ("type",), id="type-value"),
        pytest.param("type: x\nattributes:\n  project: |", ("attributes", "project"), id="empty-value"),
        pytest.param("type: x\nattributes:\n  proj|", ("attributes",), id="half-typed-key"),
        pytest.param("type: x\nattributes:\n  deps:\n    - a\n    - |", ("attributes", "deps", 1), id="new-list-item"),
        pytest.param("attributes:\n  deps:\n  - a\n  - b|", ("attributes", "deps", 1), id="list-at-key-indent"),
        pytest.param("deps:\n- a\n- b|", ("deps", 1), id="top-level-list-same-indent"),
        pytest.param(
            "attributes:\n  items:\n    - name: a\n      oth|", ("attributes", "items", 0), id="key-in-list-item"
        ),
        pytest.param('attributes:\n  t:\n    g: "unclosed\n  |', ("attributes",), id="after-broken-quote"),
        pytest.param("type: a\n---\ntype: b\nattributes:\n  x: |", ("attributes", "x"), id="second-document"),
        pytest.param("attributes: {a: [1, |2]}", ("attributes", "a", 1), id="flow-collections"),
        pytest.param("attributes:\n\t|", ("attributes",), id="tab-indent"),
        pytest.param("type: x\r\nattributes:\r\n  deps:\r\n    - a\r\n    - |", ("attributes", "deps", 1), id="crlf"),
    ],
)
def test_key_path_at_cursor(text, expected):
    assert key_path(text) == expected


def test_documents_are_split_and_indexed_like_load_all():
    text = "# header\n---\ntype: a\n---\ntype: b\nattributes:\n  x: 1\n"
    assert [(start, chunk) for start, chunk in split_documents(text)] == [
        (0, "# header\n---\ntype: a\n"),
        (21, "---\ntype: b\nattributes:\n  x: 1\n"),
    ]
    parsed = parse_file(text)
    assert [d.value for d in parsed.documents] == [{"type": "a"}, {"type": "b", "attributes": {"x": 1}}]


def test_a_broken_document_leaves_the_others_parsed():
    parsed = parse_file("type: a\nattributes: {\n---\ntype: b\n")
    assert [bool(d.problems) for d in parsed.documents] == [True, False]
    assert parsed.documents[1].value == {"type": "b"}


@pytest.mark.parametrize(
    "text, message",
    [
        pytest.param(
            "a: 'x\n", "Unclosed quote: this string is never closed (the file ends first)", id="unclosed-quote"
        ),
        pytest.param("a: 1\na: 2\n", "Duplicate key 'a'", id="duplicate-key"),
        pytest.param(
            "a:\n\tb: 1\n",
            "Found character that cannot start any token — while scanning for the next token (YAML does not allow tabs for indentation)",
            id="tab",
        ),
        pytest.param(
            "\x00\x01", "Unacceptable character #x0000: special characters are not allowed in YAML", id="binary"
        ),
    ],
)
def test_syntax_problems_are_reported_not_raised(text, message):
    (problem,) = parse_file(text).documents[0].problems
    assert problem.message == message


def test_empty_and_comment_only_files_have_one_empty_document():
    for text in ("", "# just a comment\n"):
        (doc,) = parse_file(text).documents
        assert (doc.root, doc.problems) == (None, ())


def test_node_spans_point_at_keys_and_values():
    parsed = parse_file("type: a\nattributes:\n  owner: team:x\n")
    doc = parsed.documents[0]
    key, value = doc.node_at_path(("attributes", "owner"))
    assert (doc.text[key.span.start : key.span.end], doc.text[value.span.start : value.span.end]) == ("owner", "team:x")


def test_indentation_fallback_never_raises_on_odd_lines():
    for text in ["- - - x", ":::", "- : :", "'a': b\n  - c\n\t- d", "? complex\n: key"]:
        for offset in range(len(text) + 1):
            indentation_key_path(text, offset)


BOUNDARIES = set(":-\n{}[],'\" ")


@pytest.mark.parametrize("path", yaml_files(), ids=lambda p: str(p.relative_to(p.parents[1])))
def test_key_path_at_every_offset_of_every_prefix(path):
    """Typing any corpus or example file from the top never breaks the key path at the cursor.

    A prefix ends after every structural character (the moments typing leaves YAML half-made:
    after `:`, `-`, quotes, brackets, spaces and newlines); the key path is asked at the end of
    each, and at every offset of the whole file.
    """
    text = path.read_text(encoding="utf-8", errors="replace")
    ends = [end for end in range(1, len(text)) if text[end - 1] in BOUNDARIES]
    for end in ends:
        parsed = parse_file(text[:end])
        doc = parsed.document_at(end)
        assert isinstance(doc.key_path_at(end - doc.start), tuple)
    parsed = parse_file(text)
    for offset in range(len(text) + 1):
        doc = parsed.document_at(offset)
        assert isinstance(doc.key_path_at(offset - doc.start), tuple)


# Scalars and structures whose reading differs between YAML loaders: ours must read each one exactly
# as Dagster's own defs.yaml loader does (dates stay text; YAML 1.1 booleans, octal and sexagesimal
# numbers, nulls, merge keys and anchors as PyYAML's safe loader reads them).
TRICKY_VALUES = [
    "2025-01-01",
    "2025-01-01T10:00:00Z",
    "2001-12-14 21:59:43.10 -5",
    "!!timestamp 2025-01-01",
    "yes",
    "no",
    "on",
    "off",
    "y",
    "n",
    "True",
    "FALSE",
    "~",
    "null",
    "Null",
    "",
    "010",
    "0o10",
    "0x1F",
    "1_000",
    "1e3",
    "1.0e+3",
    ".inf",
    "-.Inf",
    ".nan",
    "12:30:45",
    "0.1",
    "+1",
    "'2025-01-01'",
    '"yes"',
    "!!str 1",
    "!!int '3'",
    "!!float 1",
    "007",
    "0b101",
    "-0",
    "1.",
    "01:30",
]
TRICKY_DOCUMENTS = [
    "base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\n",
    "a: &a [1, 2]\nb: *a\n",
    "k: 1\nk: 2\n",
    "on: 1\nyes: 2\n~: 3\n2025-01-01: 4\n",
]


def dagster_value(text: str):
    from dagster_shared.yaml_utils import parse_yamls_with_source_position

    return parse_yamls_with_source_position(text)[0].value


def typed(value):
    """A value with the type of every part, so that 1 and True, or '1' and 1, differ; NaN equals itself."""
    if isinstance(value, dict):
        return {typed(k): typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [typed(v) for v in value]
    return type(value).__name__, repr(value)


@pytest.mark.parametrize("scalar", TRICKY_VALUES)
def test_a_scalar_reads_as_dagster_reads_it(scalar):
    text = f"attributes:\n  value: {scalar}\n"
    assert typed(parse_file(text).documents[0].value) == typed(dagster_value(text))


@pytest.mark.parametrize("text", TRICKY_DOCUMENTS)
def test_a_document_reads_as_dagster_reads_it(text):
    assert typed(parse_file(text).documents[0].value) == typed(dagster_value(text))


def test_a_large_document_without_aliases_is_not_an_alias_bomb():
    items = "".join(f"    - {{a: {i}, b: {i}, c: {i}}}\n" for i in range(30_000))  # 120,000+ nodes
    (doc,) = parse_file(f"type: x\nattributes:\n  items:\n{items}").documents
    assert doc.problems == ()
    assert len(doc.value["attributes"]["items"]) == 30_000


def test_billion_laughs_is_still_reported():
    text = 'a: &a ["x","x","x","x","x","x","x","x","x","x"]\n'
    for name, prev in zip("bcdefgh", "abcdefg"):
        text += f"{name}: &{name} [{', '.join([f'*{prev}'] * 10)}]\n"
    (doc,) = parse_file(text).documents
    (problem,) = doc.problems
    assert problem.message == "Aliases expand this document to too many nodes"
    assert doc.root is None and doc.value is None


@pytest.mark.parametrize(
    "text, where",
    [
        pytest.param("a: " + "[" * 500 + "]" * 500 + "\n", 3 + 63, id="flow"),
        pytest.param(
            "".join("  " * i + f"k{i}:\n" for i in range(500)) + "  " * 500 + "x\n",
            sum(len("  " * i + f"k{i}:\n") for i in range(64)) + 2 * 64,
            id="block",
        ),
    ],
)
def test_nesting_too_deep_is_a_syntax_problem_where_the_limit_is_passed(text, where):
    (doc,) = parse_file(text).documents
    (problem,) = doc.problems
    assert problem.message == "Nesting is too deep: more than 64 levels of mappings and lists"
    assert (problem.span.start, text[problem.span.start : problem.span.end]) == (
        where,
        text[where : text.index("\n", where)][: 1 if text[where] == "[" else None],
    )
    assert doc.root is None and doc.value is None


def test_nesting_through_aliases_counts_as_expanded():
    # Each anchor is 40 levels deep and holds the previous one: 25 of them nest 1,000 levels.
    text = "a0: &a0 x\n" + "".join(f"a{i}: &a{i} {'[' * 40}*a{i - 1}{']' * 40}\n" for i in range(1, 26))
    (doc,) = parse_file(text).documents
    (problem,) = doc.problems
    assert problem.message == "Nesting is too deep: more than 64 levels of mappings and lists"


def test_nesting_at_the_limit_parses():
    (doc,) = parse_file("a: " + "[" * 63 + "]" * 63 + "\n").documents
    assert doc.problems == ()


def test_key_scanning_is_linear_on_a_megabyte_line():
    import signal

    def too_slow(signum, frame):
        raise TimeoutError("the key scanner is not linear")

    previous = signal.signal(signal.SIGALRM, too_slow)
    signal.alarm(20)  # a generous guard so a regression fails instead of hanging (it takes ~10 min)
    try:
        line = "x" + " " * 1_000_000
        text = f"type: x\nattributes:\n  {line}"
        assert indentation_key_path(text, len(text)) == ("attributes",)  # no colon: not a key
        assert indentation_key_path(text + ": ", len(text) + 2) == ("attributes", "x")
        assert indentation_key_path(text + "\n  y", len(text) + 4) == ("attributes",)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_a_byte_order_mark_is_not_part_of_any_node():
    text = "\ufefftype: x\nattributes:\n  selectt: 3\n"
    (doc,) = parse_file(text).documents
    key, value = doc.node_at_path(("attributes", "selectt"))
    assert text[doc.start + key.span.start : doc.start + key.span.end] == "selectt"
    assert text[doc.start + value.span.start : doc.start + value.span.end] == "3"
    type_key, _ = doc.node_at_path(("type",))
    assert text[doc.start + type_key.span.start : doc.start + type_key.span.end] == "type"


def test_a_byte_order_mark_before_a_separator_still_splits():
    parsed = parse_file("\ufeff---\ntype: a\n---\ntype: b\n")
    assert [d.value for d in parsed.documents] == [{"type": "a"}, {"type": "b"}]
