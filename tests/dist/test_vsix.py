"""The VS Code extension as its registries (the Marketplace, Open VSX) get it: what `vsce ls` would
package, what the .vsix `npm run package` made holds (the bundle, the server's wheel, no sources, maps
or node_modules), its manifest (icon, licence, repository, banner) and its README's screenshots.

Needs (no silent skip: a missing piece fails, naming the command that provides it) the extension's npm
packages and its .vsix: `./dev client` (or `./dev test`, which runs it first).
"""

import json
import posixpath
import re
import struct
import subprocess
import zipfile
from pathlib import Path
from urllib.parse import urlsplit
from xml.etree import ElementTree

import pytest

REPO = Path(__file__).resolve().parents[2]
CLIENT = REPO / "vscode-client"
VSIX = CLIENT / "dagster-components.vsix"
VSCE = CLIENT / "node_modules/.bin/vsce"
PACKAGE = json.loads((CLIENT / "package.json").read_text())
VERSION = PACKAGE["version"]
WHEEL = f"bundled/dagster_components_ls-{VERSION}-py3-none-any.whl"
SHIPPED = [
    "package.json",
    "README.md",
    "CHANGELOG.md",
    "LICENSE",
    "language-configuration.json",
    "syntaxes/dagster-components.tmLanguage.json",
    "syntaxes/templates.injection.tmLanguage.json",
    "media/icon.png",
    "media/lineage.css",
    "dist/extension.js",
    "dist/webview.js",
    WHEEL,
]
RENAMED = {"README.md": "readme.md", "CHANGELOG.md": "changelog.md", "LICENSE": "LICENSE.txt"}  # vsce's names inside
NS = {"v": "http://schemas.microsoft.com/developer/vsx-schema/2011"}


@pytest.fixture(scope="module")
def vsix() -> zipfile.ZipFile:
    for needed in (VSCE, VSIX):
        if not needed.exists():
            pytest.fail(f"missing {needed}: run `./dev client`", pytrace=False)
    with zipfile.ZipFile(VSIX) as zf:
        yield zf


def test_vsce_lists_the_bundle_the_wheel_and_the_registry_files_only(vsix):
    listed = subprocess.run(
        [str(VSCE), "ls", "--no-dependencies"], cwd=CLIENT, capture_output=True, text=True, timeout=120, check=True
    )
    assert sorted(listed.stdout.split()) == sorted(SHIPPED)


def test_the_vsix_holds_what_vsce_lists(vsix):
    names = vsix.namelist()
    assert sorted(names) == sorted(
        ["extension.vsixmanifest", "[Content_Types].xml", *(f"extension/{RENAMED.get(p, p)}" for p in SHIPPED)]
    )
    assert not [n for n in names if n.endswith(".map") or "node_modules/" in n or n.endswith(".ts")]


def test_the_bundled_wheel_is_the_server_of_the_same_version(vsix, tmp_path):
    wheel = tmp_path / Path(WHEEL).name
    wheel.write_bytes(vsix.read(f"extension/{WHEEL}"))
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        version = zf.read("dagster_components_ls/__init__.py").decode()
    assert "dagster_components_ls/worker/__main__.py" in names
    assert f'__version__ = "{VERSION}"' in version


def test_the_manifest_carries_icon_licence_repository_banner_and_tags(vsix):
    manifest = ElementTree.fromstring(vsix.read("extension.vsixmanifest"))
    meta = manifest.find("v:Metadata", NS)
    identity = meta.find("v:Identity", NS).attrib
    properties = {p.get("Id").rsplit(".", 1)[-1]: p.get("Value") for p in meta.iterfind("v:Properties/v:Property", NS)}
    assert (identity["Id"], identity["Publisher"], identity["Version"]) == (
        "dagster-components",
        "dagster-components-ls",
        VERSION,
    )
    assert (meta.findtext("v:Icon", namespaces=NS), meta.findtext("v:License", namespaces=NS)) == (
        "extension/media/icon.png",
        "extension/LICENSE.txt",
    )
    assert meta.findtext("v:Categories", namespaces=NS) == "Programming Languages,Linters,Visualization,Data Science"
    assert {"dagster", "defs.yaml", "dbt", "lineage"} <= set(meta.findtext("v:Tags", namespaces=NS).split(","))
    assert (properties["Color"], properties["Theme"]) == ("#4F43DD", "dark")
    assert properties["Source"] == PACKAGE["repository"]["url"] and properties["Source"].startswith(
        "https://github.com/"
    )
    assert PACKAGE["license"] == "Apache-2.0"  # ovsx refuses an extension without a licence


def test_the_icon_is_a_png_of_at_least_128_pixels(vsix):
    icon = vsix.read("extension/media/icon.png")
    width, height = struct.unpack(">II", icon[16:24])
    assert icon[:8] == b"\x89PNG\r\n\x1a\n" and icon[12:16] == b"IHDR"
    assert width == height and width >= 128


def test_the_readme_shows_every_screenshot_from_the_repository_over_https(vsix):
    readme = vsix.read("extension/readme.md").decode()
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", readme)
    web = PACKAGE["repository"]["url"].removesuffix(".git")
    shown = []
    for url in images:
        parts = urlsplit(url)
        assert parts.scheme == "https" and url.startswith(f"{web}/raw/HEAD/") and url.endswith(".png"), url
        shown.append(posixpath.normpath(parts.path.split("/raw/HEAD/", 1)[1]))
    assert sorted(shown) == sorted(f"docs/images/{p.name}" for p in (REPO / "docs/images").glob("*.png"))
    assert all((REPO / p).is_file() for p in shown)


def test_the_changelog_opens_with_this_version(vsix):
    assert re.search(r"^## (\S+)$", vsix.read("extension/changelog.md").decode(), re.M)[1] == VERSION
