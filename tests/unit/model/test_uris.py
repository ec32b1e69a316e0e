"""URIs to paths and back, escaped the way editors escape them."""

from dagster_components_ls.model.uris import canonical, from_path, to_path

ODD_FOLDER = "my dir é#@%x"
ESCAPED = "my%20dir%20%C3%A9%23%40%25x"
"""How VS Code writes ODD_FOLDER in a URI (its encodeURIComponent of each path segment)."""


def test_a_path_becomes_the_uri_editors_send(tmp_path):
    path = tmp_path / ODD_FOLDER / "defs.yaml"
    assert from_path(path) == f"file://{tmp_path.as_posix()}/{ESCAPED}/defs.yaml"
    assert to_path(from_path(path)) == path
    # Lower-case escapes, and `@` or a space left unescaped (Neovim leaves `@` as it is), name the same file.
    assert to_path(f"file://{tmp_path.as_posix()}/my%20dir%20%c3%a9%23%40%25x/defs.yaml") == path
    assert to_path(f"file://{tmp_path.as_posix()}/my dir %C3%A9%23@%25x/defs.yaml") == path


def test_canonical_uris_are_one_spelling_per_file(tmp_path):
    escaped = f"file://{tmp_path.as_posix()}/{ESCAPED}/defs.yaml"
    assert canonical(f"file://{tmp_path.as_posix()}/my%20dir%20%c3%a9%23%40%25x/defs.yaml") == escaped
    assert canonical(escaped) == escaped
    assert canonical(f"file://{tmp_path.as_posix()}/my dir %C3%A9%23@%25x/defs.yaml") == escaped
    assert canonical("untitled:Untitled-1") == "untitled:Untitled-1"


def test_a_host_stays_in_the_path():
    assert to_path("file://localhost/tmp/defs.yaml").as_posix() == "/tmp/defs.yaml"
    assert to_path("file://server/share/defs.yaml").as_posix() == "//server/share/defs.yaml"
