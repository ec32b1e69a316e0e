"""The registry snapshot as data: the component types a worker reported, and how to look one up."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..worker import protocol


@dataclass(frozen=True)
class ComponentType:
    key: str
    aliases: tuple[str, ...]
    summary: str | None
    description: str | None
    """The class docstring, Markdown."""
    schema: dict[str, Any] | None
    """The attributes JSON schema, with its own $defs."""
    scaffold_params_schema: dict[str, Any] | None
    source_path: Path | None
    source_line: int | None
    """1-based line of the class statement."""
    package: str | None
    """The owning distribution ("dagster-dbt"), None for a project's own code."""
    version: str | None


@dataclass(frozen=True)
class Registry:
    """One worker `registry` answer. Read-only by convention: the dicts are shared, never edited."""

    types: dict[str, ComponentType]
    envelope_schema: dict[str, Any]
    post_processing_schema: dict[str, Any]
    template_scope: dict[str, Any]
    module_errors: dict[str, str]
    dagster_version: str | None
    python: dict[str, str]
    approximate: str | None = None
    """The label of the bundled snapshot (bundled.label) when this is it, not the project's own types."""
    _by_name: dict[str, ComponentType] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_name = {alias: t for t in self.types.values() for alias in t.aliases}
        object.__setattr__(self, "_by_name", by_name | self.types)  # a key wins over an alias

    def lookup(self, typename: str) -> ComponentType | None:
        return self._by_name.get(typename)

    def all_typenames(self) -> list[str]:
        return sorted(self._by_name)

    @classmethod
    def from_snapshot(cls, snapshot: dict[str, Any]) -> "Registry":
        types = {}
        for t in snapshot["types"]:
            source = t.get("source") or {}
            types[t["key"]] = ComponentType(
                key=t["key"],
                aliases=tuple(t.get("aliases", ())),
                summary=t.get("summary"),
                description=t.get("description"),
                schema=t.get("schema"),
                scaffold_params_schema=t.get("scaffold_params_schema"),
                source_path=Path(source["path"]) if source.get("path") else None,
                source_line=source.get("line"),
                package=t.get("package"),
                version=t.get("version"),
            )
        return cls(
            types=types,
            envelope_schema=snapshot.get("envelope_schema") or {},
            post_processing_schema=snapshot.get("post_processing_schema") or {},
            template_scope=snapshot.get("template_scope") or {},
            module_errors=snapshot.get("module_errors") or {},
            dagster_version=snapshot.get("dagster_version"),
            python=snapshot.get("python") or {},
        )

    def to_snapshot(self) -> dict[str, Any]:
        """The worker's result shape (see worker/protocol.py), so from_snapshot(to_snapshot()) == self."""
        return {
            "protocol": protocol.PROTOCOL_VERSION,
            "python": self.python,
            "dagster_version": self.dagster_version,
            "types": [
                {
                    "key": t.key,
                    "aliases": list(t.aliases),
                    "summary": t.summary,
                    "description": t.description,
                    "schema": t.schema,
                    "scaffold_params_schema": t.scaffold_params_schema,
                    "source": {"path": str(t.source_path), "line": t.source_line} if t.source_path else None,
                    "package": t.package,
                    "version": t.version,
                }
                for t in self.types.values()
            ],
            "envelope_schema": self.envelope_schema,
            "post_processing_schema": self.post_processing_schema,
            "template_scope": self.template_scope,
            "module_errors": self.module_errors,
        }
