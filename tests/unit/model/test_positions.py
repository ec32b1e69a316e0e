import pytest
from lsprotocol import types

from dagster_components_ls.model.positions import LineIndex, Span, format_key_path

TEXT = 'a: 1\nb: "é😀x"\n'


@pytest.mark.parametrize(
    "encoding, offset, expected",
    [
        pytest.param(types.PositionEncodingKind.Utf16, 12, (1, 8), id="utf16-astral-counts-two"),
        pytest.param(types.PositionEncodingKind.Utf8, 12, (1, 11), id="utf8-bytes"),
        pytest.param(types.PositionEncodingKind.Utf32, 12, (1, 7), id="utf32-code-points"),
        pytest.param(types.PositionEncodingKind.Utf16, 0, (0, 0), id="start"),
        pytest.param(types.PositionEncodingKind.Utf16, 5, (1, 0), id="line-start"),
        pytest.param(types.PositionEncodingKind.Utf16, 99, (2, 0), id="past-end-clamps"),
    ],
)
def test_position_round_trip(encoding, offset, expected):
    index = LineIndex(TEXT, encoding)
    line, character = index.position_at(offset)
    assert (line, character) == expected
    assert index.offset_at(types.Position(line=line, character=character)) == min(offset, len(TEXT))


def test_offset_inside_surrogate_pair_snaps_forward():
    index = LineIndex(TEXT)
    # UTF-16 column 6 falls between the two halves of 😀 (columns 5-6): the offset after it.
    assert index.offset_at(types.Position(line=1, character=6)) == 11


def test_one_based_line_and_column():
    assert LineIndex(TEXT).line_col_1based(8) == (2, 4)


def test_range_of_span():
    assert LineIndex(TEXT).range_of(Span(5, 6)) == ((1, 0), (1, 1))


def test_format_key_path():
    assert format_key_path(("attributes", "deps", 0, "key")) == "attributes.deps[0].key"


@pytest.mark.parametrize(
    "line, expected",
    [
        (1, "x = 1"),
        (2, "raise ValueError('no')"),
        (3, ""),
        (9, ""),
        (0, "x = 1"),
    ],
)
def test_a_1_based_line_is_its_text(line, expected):
    text = "x = 1\nraise ValueError('no')\n"
    span = LineIndex(text).line_span_1based(line)
    assert text[span.start : span.end] == expected


def test_a_byte_order_mark_is_not_a_column():
    # Editors show a BOM file without it: `type` starts at 0:0, as in the text VS Code sends.
    index = LineIndex("\ufefftype: x\nb: 1\n")
    assert index.position_at(1) == (0, 0)
    assert index.position_at(0) == (0, 0)
    assert index.offset_at(types.Position(line=0, character=0)) == 1
    assert index.offset_at(types.Position(line=0, character=4)) == 5
    assert index.position_at(9) == (1, 0)
    assert index.line_col_1based(1) == (1, 1)
