"""The worker's `load` answer indexed: assets by key, their children, producers by file, errors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Optional


@dataclass(frozen=True)
class Loaded:
    """One `load` answer of the worker, indexed: assets by key, their children, producers by file."""

    assets: Mapping[str, Mapping[str, Any]]
    errors: tuple[Mapping[str, Any], ...] = ()
    children: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    produced_by: Mapping[tuple[str, Optional[int]], tuple[str, ...]] = field(default_factory=dict)
    """(producing file path, document index) -> asset keys, sorted."""

    @classmethod
    def from_result(cls, result: Mapping[str, Any]) -> Loaded:
        """Sample asset: {"key": "orders", "deps": ["stg_orders"], "owners": ["team:analytics"], ...,
        "producer": {"path": "/p/src/p/defs/jaffle_shop/defs.yaml", "document": 0}}"""
        assets = {
            a["key"]: a for a in result.get("assets") or () if isinstance(a, Mapping) and isinstance(a.get("key"), str)
        }
        children: dict[str, list[str]] = {}
        produced: dict[tuple[str, Optional[int]], list[str]] = {}
        for key, asset in assets.items():
            for dep in asset.get("deps") or ():
                children.setdefault(dep, []).append(key)
            producer = asset.get("producer")
            if isinstance(producer, Mapping) and isinstance(producer.get("path"), str):
                produced.setdefault((producer["path"], producer.get("document")), []).append(key)
        return cls(
            assets,
            tuple(e for e in result.get("errors") or () if isinstance(e, Mapping)),
            {k: tuple(sorted(v)) for k, v in children.items()},
            {k: tuple(sorted(v)) for k, v in produced.items()},
        )

    def produced(self, path: str, document: Optional[int] = None) -> list[str]:
        """Keys produced by one document of a file, or by all of them (document None); for a folder,
        by every file under it (the project's root: the whole project)."""
        if document is not None:
            return list(self.produced_by.get((path, document), ()))
        return sorted(k for (p, _), keys in self.produced_by.items() if within(p, path) for k in keys)

    def assets_by_document(self, path: str, documents: int) -> dict[int, list[Mapping[str, Any]]]:
        """Document index -> the asset records it produced, for each of a file's documents."""
        return {i: [self.assets[k] for k in self.produced(path, i)] for i in range(documents)}

    def errors_of(self, path: str) -> list[Mapping[str, Any]]:
        return [e for e in self.errors if e.get("path") == path]


def within(file: str, path: str) -> bool:
    """`file` is `path`, or lies in the folder `path`."""
    return file == path or file.startswith(path.rstrip("/") + "/")
