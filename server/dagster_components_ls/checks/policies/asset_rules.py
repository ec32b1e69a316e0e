"""Asset-level policy rules (require-owners, required-tags, asset-key-pattern) on loaded assets, placed in their documents."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from ...model.documents import MAP, Node, ParsedFile, YamlDocument
from ...model.positions import Span
from ...model.problems import ERROR, Problem
from .config import PolicyConfig
from .spans import asset_span, scalars


@dataclass(frozen=True)
class AssetPolicyInput:
    """One loaded asset as the asset-level rules see it.

    Built from the `{key, owners, tags}` of a `dagster/lineage` asset (other fields are ignored), so the
    lineage result can be passed as it is.
    """

    key: str
    """Dagster's user string, `raw/orders`."""
    owners: tuple[str, ...] = ()
    """As written in Dagster: `team:analytics`, `a@b.com`."""
    tags: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Optional[AssetPolicyInput]:
        """None when the dict has no usable key; odd owners and tags are dropped, not raised on."""
        key = raw.get("key") if isinstance(raw, Mapping) else None
        if isinstance(key, (list, tuple)) and key and all(isinstance(p, str) for p in key):
            key = "/".join(key)
        if not isinstance(key, str) or not key:
            return None
        owners = raw.get("owners")
        tags = raw.get("tags")
        return cls(
            key=key,
            owners=tuple(o for o in owners if isinstance(o, str) and o.strip()) if isinstance(owners, list) else (),
            tags={str(k): str(v) for k, v in tags.items()} if isinstance(tags, Mapping) else {},
        )


@dataclass(frozen=True)
class AssetViolation:
    """An asset-level rule's finding, reported at the document that produced the asset."""

    document: int
    """The producing document's index in its file (the lineage result's `document`)."""
    asset_key: str
    rule: str
    message: str
    severity: str = ERROR
    data: Optional[dict[str, Any]] = None


AssetRule = Callable[[AssetPolicyInput, PolicyConfig], Iterator[tuple[str, str, str, dict[str, Any]]]]
"""(asset, config) -> (rule, message, severity, data) for each violation."""


def check_require_owners(
    asset: AssetPolicyInput, config: PolicyConfig
) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    setting = config.require_owners
    if setting is not None and setting.value and not asset.owners:
        yield (
            "require-owners",
            f"Asset '{asset.key}' has no owners; the project's policy requires at least one",
            setting.severity,
            {"asset_key": asset.key},
        )


def check_required_tags(
    asset: AssetPolicyInput, config: PolicyConfig
) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    setting = config.required_tags
    missing = [tag for tag in setting.value if tag not in asset.tags] if setting is not None else []
    if setting is not None and missing:
        names = ", ".join(f"'{t}'" for t in missing)
        noun = "tag" if len(missing) == 1 else "tags"
        yield (
            "required-tags",
            f"Asset '{asset.key}' lacks {noun} {names}, required by the project's policy",
            setting.severity,
            {"asset_key": asset.key, "missing": missing},
        )


def check_asset_key_pattern(
    asset: AssetPolicyInput, config: PolicyConfig
) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    setting = config.asset_key_pattern
    if setting is not None and re.fullmatch(setting.value, asset.key) is None:
        yield (
            "asset-key-pattern",
            f"Asset key '{asset.key}' does not match the project's pattern {setting.value}",
            setting.severity,
            {"asset_key": asset.key, "pattern": setting.value},
        )


ASSET_POLICIES: list[AssetRule] = [check_require_owners, check_required_tags, check_asset_key_pattern]


def asset_policy_problems(
    config: PolicyConfig, assets_by_document: Mapping[int, Iterable[Mapping[str, Any]]]
) -> list[AssetViolation]:
    """Every asset-level violation of one file's loaded assets, by producing document.

    `assets_by_document` maps a document's index in the file to the assets it produced, each a dict
    with at least `key` (`"raw/orders"`), `owners` (list of strings) and `tags` (object): the shape of
    the `dagster/lineage` result's produced assets. Pure: no I/O. `asset_problems` places the
    violations in the file.
    """
    out = []
    for document, assets in sorted(assets_by_document.items()):
        for raw in assets:
            asset = AssetPolicyInput.from_dict(raw)
            if asset is None:
                continue
            for rule in ASSET_POLICIES:
                for name, message, severity, data in rule(asset, config):
                    out.append(AssetViolation(document, asset.key, name, message, severity, data))
    return out


# Keys that explain an asset-level violation, searched in the producing document (deepest first):
# the dbt `translation.owners` that sets every model's owners, a platform component's `owner`, ...
EXPLAINING_KEYS = {
    "require-owners": ("owners", "owner"),
    "required-tags": ("tags",),
    "asset-key-pattern": ("asset_key", "key"),
}
# Several assets of one document breaking one rule make one diagnostic, naming them.
PLURAL_MESSAGES = {
    "require-owners": "{n} assets have no owners ({keys}); the project's policy requires at least one",
    "required-tags": "{n} assets lack tags required by the project's policy ({keys})",
    "asset-key-pattern": "{n} asset keys do not match the project's pattern ({keys})",
}
NAMED_ASSETS = 5


def asset_problems(parsed: ParsedFile, violations: Iterable[AssetViolation]) -> list[Problem]:
    """Asset violations as problems at their producing documents (code `policy:<rule>`): one per
    document and rule, on the asset's key where the document spells it, else on the key that
    explains it (`translation.owners`, `owner`, `tags`, ...), else on the `type` value."""
    groups: dict[tuple[int, str, str], list[AssetViolation]] = {}
    for v in violations:
        if 0 <= v.document < len(parsed.documents):
            groups.setdefault((v.document, v.rule, v.severity), []).append(v)
    out = []
    for (document, rule, severity), found in groups.items():
        doc = parsed.documents[document]
        keys = [v.asset_key for v in found]
        if len(found) == 1:
            message, data = found[0].message, found[0].data
        else:
            shown = ", ".join(keys[:NAMED_ASSETS]) + (
                f" and {len(keys) - NAMED_ASSETS} more" if len(keys) > NAMED_ASSETS else ""
            )
            template = PLURAL_MESSAGES.get(rule, "{n} assets break the project's policy " + rule + " ({keys})")
            message, data = template.format(n=len(keys), keys=shown), {**(found[0].data or {}), "asset_keys": keys}
            data.pop("asset_key", None)
        span = _spelled_key(doc, keys) or _explaining_key(doc, EXPLAINING_KEYS.get(rule, ())) or asset_span(doc, "")
        out.append(Problem(span.shifted(doc.start), f"policy:{rule}", message, severity, data))
    return out


def _spelled_key(doc: YamlDocument, keys: list[str]) -> Optional[Span]:
    if len(keys) != 1 or doc.root is None:
        return None
    return next((n.span for n in scalars(doc.root) if n.text == keys[0] and n.tag.endswith(":str")), None)


def _explaining_key(doc: YamlDocument, names: tuple[str, ...]) -> Optional[Span]:
    """The deepest key of these names under `attributes` (or `post_processing`), else `attributes.translation`."""
    best: Optional[tuple[int, Span]] = None

    def walk(node: Node, depth: int) -> None:
        nonlocal best
        for key, value in node.pairs:
            if key.text in names and (best is None or depth > best[0]):
                best = (depth, key.span)
            walk(value, depth + 1)
        for item in node.items:
            walk(item, depth + 1)

    if doc.root is None or doc.root.kind != MAP:
        return None
    for section in ("attributes", "post_processing"):
        node = doc.root.get(section)
        if node is not None:
            walk(node, 1)
    if best is not None:
        return best[1]
    attributes = doc.root.get("attributes")
    translation = attributes.key_node("translation") if attributes is not None and attributes.kind == MAP else None
    return translation.span if translation is not None else None
