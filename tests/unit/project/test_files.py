"""Reading the user's files: regular files only, never blocking; what is wrong said in the user's words."""

import os

import pytest

from dagster_components_ls.project.files import NotRegularFile, decode_utf8, read_bytes, read_text, why_unreadable


@pytest.fixture
def odd_paths(tmp_path):
    (tmp_path / "regular.yaml").write_bytes(b"type: a.B\n")
    os.mkfifo(tmp_path / "fifo.yaml")
    (tmp_path / "folder.yaml").mkdir()
    (tmp_path / "dangling.yaml").symlink_to(tmp_path / "nowhere.yaml")
    return tmp_path


def test_only_regular_files_are_read(odd_paths):
    assert read_text(odd_paths / "regular.yaml") == "type: a.B\n"
    outcomes = {}
    for name in ("fifo.yaml", "folder.yaml", "dangling.yaml"):
        with pytest.raises(OSError) as caught:
            read_bytes(odd_paths / name)  # the FIFO has no writer: a blocking open would never return
        outcomes[name] = (isinstance(caught.value, NotRegularFile), why_unreadable(odd_paths / name, caught.value))
    assert outcomes == {
        "fifo.yaml": (True, "not a regular file (a FIFO)"),
        "folder.yaml": (True, "not a regular file (a folder)"),
        "dangling.yaml": (False, f"a dangling symbolic link to {odd_paths / 'nowhere.yaml'}"),
    }


@pytest.mark.parametrize(
    "data, expected",
    [
        pytest.param(b"caf\xc3\xa9\n", ("café\n", None), id="valid"),
        pytest.param(b"a: caf\xe9\n", ("a: caf\ufffd\n", 6), id="latin-1 byte"),
        pytest.param(
            "é\n".encode() + b"\xff\xfe x", ("é\n\ufffd\ufffd x", 2), id="after a multi-byte letter: code points"
        ),
    ],
)
def test_decode_utf8_says_where_the_first_invalid_byte_is(data, expected):
    assert decode_utf8(data) == expected
