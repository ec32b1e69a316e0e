"""The loaded definitions of a project: the `dagster/lineage` view, code lenses, load errors, asset keys in YAML."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Optional

from lsprotocol import types

from ..model.cursor import ENTRY, VALUE, cursor_at
from ..model.documents import SCALAR, ParsedFile
from ..model.loaded import Loaded, within
from ..model.positions import UTF16, LineIndex, Span
from ..model.uris import from_path
from .lsp_ranges import lsp_range

ROLES = ("produced", "upstream", "downstream")
# Fields whose values name existing assets (not the key of a new one): `deps: [orders]`,
# `post_processing.assets[].target`, a report's `sources`, a metric's `table`.
ASSET_KEY_FIELDS = frozenset({"deps", "target", "sources", "table", "upstream", "upstreams", "selection", "asset_keys"})

Locate = Callable[[str, Optional[int]], Optional[dict]]
"""(file path, document index or None) -> {uri, range} of that document (or file), None if unknown."""


@dataclass(eq=False)
class LineageState:
    """A project's loads: the last good one, and which save (generation) each run answers."""

    loaded: Optional[Loaded] = None
    from_disk: bool = False
    """`loaded` is the previous session's (shown at start-up, stale, until this session's first load)."""
    error: Optional[str] = None
    """Why the last load produced nothing (the worker failed); the last good `loaded` stays shown."""
    wanted: int = 0
    """Bumped by every save that changes what loads; a run loads until `done` catches up."""
    done: int = 0
    running: int = 0
    """The generation a worker call is loading now, 0 when none."""
    task: Any = None
    timer: Any = None
    """The pending start of a load (saves within LINEAGE_DEBOUNCE_SECONDS make one load)."""
    worker: Any = None
    """A long-lived worker of its own (Dagster and dbt stay imported; each load forks a fresh child)."""
    shown: frozenset = frozenset()
    """The failures of the last load already told with window/showMessage (each is told once)."""

    @property
    def stale(self) -> bool:
        return self.done < self.wanted


def lineage_view(
    loaded: Loaded,
    path: str,
    document: Optional[int],
    depth: int,
    stale: bool,
    locate: Locate,
    locate_error: Callable[[Any], Optional[dict[str, Any]]],
) -> dict[str, Any]:
    """The `dagster/lineage` result (DESIGN's shape) for one document, or every document of a file."""
    produced = loaded.produced(path, document)
    upstream = _hops(produced, lambda k: loaded.assets.get(k, {}).get("deps") or (), depth)
    downstream = _hops(produced, lambda k: loaded.children.get(k, ()), depth)
    roles = {
        **{k: "downstream" for k in downstream},
        **{k: "upstream" for k in upstream},
        **{k: "produced" for k in produced},
    }
    assets = []
    for key in sorted(roles, key=lambda k: (ROLES.index(roles[k]), k)):
        asset = loaded.assets.get(key, {"key": key})
        producer = asset.get("producer") if isinstance(asset.get("producer"), Mapping) else None
        assets.append(
            {
                "key": key,
                "role": roles[key],
                "document": producer.get("document") if roles[key] == "produced" and producer else None,
                "group": asset.get("group"),
                "kinds": list(asset.get("kinds") or ()),
                "owners": list(asset.get("owners") or ()),
                "tags": dict(asset.get("tags") or {}),
                "deps": list(asset.get("deps") or ()),
                "checks": list(asset.get("checks") or ()),
                "description": asset.get("description"),
                "automation_condition": asset.get("automation_condition"),
                "location": locate(producer["path"], producer.get("document")) if producer else None,
            }
        )
    edges = [[dep, a["key"]] for a in assets for dep in a["deps"] or () if dep in roles]
    errors = [e for e in loaded.errors if within(str(e.get("path")), path) or e.get("document") is None]
    return {
        "assets": assets,
        "edges": edges,
        "errors": [
            {"message": e.get("message") or "Loading failed", **(locate_error(e) or {"uri": None, "range": None})}
            for e in errors
        ],
        "stale": stale,
    }


def _hops(start: Iterable[str], neighbours: Callable[[str], Iterable[str]], depth: int) -> list[str]:
    seen = set(start)
    frontier, found = list(seen), []
    for _ in range(max(depth, 0)):
        frontier = [n for k in frontier for n in neighbours(k) if n not in seen and not seen.add(n)]  # type: ignore[func-returns-value]
        found.extend(frontier)
    return found


def lens_title(loaded: Optional[Loaded], path: str, document: int, failure: Optional[str] = None) -> str:
    """ "7 assets · 2 upstream · 3 downstream": the document's assets and their direct neighbours; what
    failed instead, when the load failed for this document or for the whole project (`failure`: why
    no load answered at all), never a count of zero that hides it."""
    if loaded is None:
        return f"No lineage: {_short(failure)}" if failure else "Loading assets…"
    produced = loaded.produced(path, document)
    own = [e for e in loaded.errors_of(path) if e.get("document") == document]
    if own:
        return f"Load failed: {_short(own[0].get('message'))}"
    if not produced:
        project = [e for e in loaded.errors if e.get("document") is None]
        if project:
            return f"0 assets: the definitions failed to load ({_short(project[0].get('message'))})"
    up = _hops(produced, lambda k: loaded.assets.get(k, {}).get("deps") or (), 1)
    down = _hops(produced, lambda k: loaded.children.get(k, ()), 1)
    noun = "asset" if len(produced) == 1 else "assets"
    return f"{len(produced)} {noun} · {len(up)} upstream · {len(down)} downstream"


def _short(message: Optional[str], limit: int = 80) -> str:
    """A message's first line, cut at `limit` characters: a code lens is one short line."""
    line = (message or "unknown error").strip().splitlines()[0] if (message or "").strip() else "unknown error"
    return line if len(line) <= limit else line[: limit - 1] + "…"


def asset_at(parsed: ParsedFile, offset: int, loaded: Loaded) -> Optional[tuple[str, Span]]:
    """The loaded asset whose key is the string scalar at the cursor (in `deps`, a target, anywhere)."""
    doc = parsed.document_at(offset)
    if doc is None or doc.root is None:
        return None
    stack = [doc.root]
    while stack:
        node = stack.pop()
        span = node.span.shifted(doc.start)
        if (
            node.kind == SCALAR
            and node.text is not None
            and span.start <= offset <= span.end
            and node.text in loaded.assets
        ):
            return node.text, span
        stack.extend(v for _, v in node.pairs)
        stack.extend(node.items)
    return None


def asset_hover(loaded: Loaded, key: str, span: Span, index: LineIndex, where: Optional[str]) -> types.Hover:
    asset = loaded.assets[key]
    lines = [f"**Asset** `{key}`"]
    if asset.get("description"):
        lines += ["", str(asset["description"])]
    facts = [
        ("Group", asset.get("group")),
        ("Kinds", ", ".join(asset.get("kinds") or ())),
        ("Owners", ", ".join(asset.get("owners") or ())),
        ("Upstream", ", ".join(f"`{d}`" for d in asset.get("deps") or ())),
        ("Downstream", ", ".join(f"`{c}`" for c in loaded.children.get(key, ()))),
        ("Checks", str(len(asset.get("checks") or ())) if asset.get("checks") else None),
        ("Produced by", where),
    ]
    lines += [""] + [f"- {name}: {value}" for name, value in facts if value]
    return types.Hover(
        contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value="\n".join(lines)),
        range=lsp_range(index, span),
    )


def asset_completions(
    parsed: ParsedFile, offset: int, loaded: Loaded, index: LineIndex, own: Iterable[str] = ()
) -> list[types.CompletionItem]:
    """Asset keys where a field names existing assets (`deps`, `target`, ...); under `attributes` the
    document's own assets are left out (an asset does not depend on itself), while a
    `post_processing` target selects exactly those."""
    doc = parsed.document_at(offset)
    if doc is None:
        return []
    cursor = cursor_at(doc.text.replace("\r", " "), offset - doc.start)
    if cursor is None or cursor.kind not in (VALUE, ENTRY):
        return []
    names = [p for p in cursor.path if isinstance(p, str)]
    if not names or names[-1] not in ASSET_KEY_FIELDS or names[0] not in ("attributes", "post_processing"):
        return []
    skip = set(own) if names[0] == "attributes" else set()
    span = Span(doc.start + cursor.start, doc.start + cursor.end)
    items = []
    for key in sorted(k for k, a in loaded.assets.items() if k not in skip and a.get("materializable", True)):
        asset = loaded.assets[key]
        detail = " · ".join(x for x in (asset.get("group"), ", ".join(asset.get("kinds") or ())) if x) or None
        text = key if cursor.quote or not _needs_quotes(key) else f'"{key}"'
        items.append(
            types.CompletionItem(
                label=key,
                kind=types.CompletionItemKind.Reference,
                detail=detail,
                documentation=asset.get("description") or None,
                text_edit=types.TextEdit(range=lsp_range(index, span), new_text=text),
            )
        )
    return items


def _needs_quotes(key: str) -> bool:
    return key[:1] in "*&!|>'\"%@`{[-?:#," or ": " in key or " #" in key


def error_range(
    error: Mapping[str, Any], parsed: Optional[ParsedFile], index: Optional[LineIndex]
) -> Optional[types.Range]:
    """Where a load error goes in its file: the key of a document, or a Python line."""
    from ..checks.policies.spans import path_span  # on use: the server's first answers need no policies

    if (
        parsed is not None
        and index is not None
        and isinstance(error.get("document"), int)
        and 0 <= error["document"] < len(parsed.documents)
    ):
        doc = parsed.documents[error["document"]]
        written = error.get("key_path")
        key_path = written if isinstance(written, list) else ["type"]
        return lsp_range(index, path_span(doc, key_path).shifted(doc.start))
    line = error.get("line")
    if isinstance(line, int) and line >= 1:
        return types.Range(start=types.Position(line=line - 1, character=0), end=types.Position(line=line, character=0))
    return None


def document_location(
    path: str, document: Optional[int], parse: Callable[[str], ParsedFile], encoding: str = UTF16
) -> dict:
    """{uri, range} of a document's first line in a file as `parse` reads it (a Python file: its start)."""
    uri = from_path(path)
    start = {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}
    if document is None:
        return {"uri": uri, "range": start}
    parsed = parse(path)
    if not 0 <= document < len(parsed.documents):
        return {"uri": uri, "range": start}
    doc = parsed.documents[document]
    return {
        "uri": uri,
        "range": range_json(lsp_range(LineIndex(parsed.text, encoding), doc.first_line().shifted(doc.start))),
    }


def error_location(
    error: Mapping[str, Any], parse: Callable[[str], ParsedFile], encoding: str = UTF16
) -> Optional[dict]:
    """{uri, range} of a load error (range null when only the file is known), None without a file."""
    path = error.get("path")
    if not isinstance(path, str):
        return None
    parsed = parse(path) if isinstance(error.get("document"), int) else None
    found = error_range(error, parsed, LineIndex(parsed.text, encoding) if parsed is not None else None)
    return {"uri": from_path(path), "range": range_json(found) if found else None}


def range_json(r: types.Range) -> dict:
    return {
        "start": {"line": r.start.line, "character": r.start.character},
        "end": {"line": r.end.line, "character": r.end.character},
    }


def format_text(view: Mapping[str, Any], shown: Callable[[str], str]) -> str:
    """The lineage as lines a person reads: each asset with its role, group and upstream keys."""
    lines = []
    width = max((len(a["key"]) for a in view["assets"]), default=0)
    for asset in view["assets"]:
        deps = ", ".join(asset["deps"])
        where = (
            f"  ({shown(asset['location']['uri'])})" if asset["role"] != "produced" and asset.get("location") else ""
        )
        lines.append(
            f"{asset['role']:<10}  {asset['key']:<{width}}  {asset.get('group') or '-'}"
            + (f"  <- {deps}" if deps else "")
            + where
        )
    for error in view["errors"]:
        at = ""
        if error.get("uri"):
            at = shown(error["uri"]) + (f":{error['range']['start']['line'] + 1}" if error.get("range") else "")
        lines.append(f"error  {at + ': ' if at else ''}{error['message']}")
    produced = sum(a["role"] == "produced" for a in view["assets"])
    lines.append(
        f"{produced} produced, {len(view['assets']) - produced} around them, {len(view['edges'])} edges"
        + (" (stale)" if view.get("stale") else "")
    )
    return "\n".join(lines)


def format_mermaid(view: Mapping[str, Any]) -> str:
    """A Mermaid flowchart (GitHub and most Markdown viewers render it); produced assets highlighted."""
    ids = {a["key"]: f"a{i}" for i, a in enumerate(view["assets"])}
    lines = ["flowchart LR"]
    for asset in view["assets"]:
        label = asset["key"].replace('"', "'")
        lines.append(f'  {ids[asset["key"]]}["{label}"]:::{asset["role"]}')
    lines += [f"  {ids[up]} --> {ids[down]}" for up, down in view["edges"]]
    lines += [
        "  classDef produced fill:#4f43dd,color:#fff,stroke:#2d2499",
        "  classDef upstream fill:#eef,stroke:#99a",
        "  classDef downstream fill:#efe,stroke:#9a9",
    ]
    return "\n".join(lines)
