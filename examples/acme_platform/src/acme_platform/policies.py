"""ACME's document-level policy for dagster-components-ls.

Registered under the entry-point group `dagster_components_ls.policies` as `acme-naming`, so
installing this package is all a domain team does to get the rule (diagnostic code
`policy:acme-naming`). The function sees one parsed `defs.yaml` document and imports nothing
beyond the standard library, so it is cheap to call on every keystroke.
"""

from collections.abc import Mapping
from typing import Any

# Component types whose `owner` attribute names the asset's owner.
_OWNED_TYPES = ("acme_platform.ResearchJob", "acme_platform.components.research_job.ResearchJob")


def naming_policy(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Assets must be owned by a team, not by a person.

    A person's email address leaves an asset orphaned when they change roles; the platform
    requires `team:<name>` owners on ACME components (`owner`) and in dbt translations
    (`translation.owners`).

    Args:
        document: one `defs.yaml` document as plain data, `{"type": ..., "attributes": ...}`.

    Returns:
        one `{"path": [...], "message": ...}` per violation; `path` is the key path inside the
        document (list indices are ints).
    """
    attributes = document.get("attributes")
    if not isinstance(attributes, Mapping):
        return []
    violations: list[dict[str, Any]] = []
    component_type = document.get("type")

    if component_type in _OWNED_TYPES:
        owner = attributes.get("owner")
        if _is_personal(owner):
            violations.append(
                {"path": ["attributes", "owner"], "message": _message(owner)}
            )

    translation = attributes.get("translation")
    if isinstance(translation, Mapping):
        owners = translation.get("owners")
        if isinstance(owners, list):
            for index, owner in enumerate(owners):
                if _is_personal(owner):
                    violations.append(
                        {
                            "path": ["attributes", "translation", "owners", index],
                            "message": _message(owner),
                        }
                    )
    return violations


def _is_personal(owner: object) -> bool:
    """A literal owner that is not `team:<name>`; templated values are left alone."""
    return isinstance(owner, str) and "{{" not in owner and not owner.startswith("team:")


def _message(owner: str) -> str:
    return f"owner {owner!r} is a person; ACME assets must be owned by a team ('team:<name>')"
