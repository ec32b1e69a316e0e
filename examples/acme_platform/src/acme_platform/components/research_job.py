"""The `ResearchJob` component: a governed notebook or script run that materializes one asset."""

import re
from enum import Enum
from pathlib import Path
from typing import Annotated, Literal

import dagster as dg
from pydantic import Field, field_validator, model_validator

# A key segment: lowercase snake_case, starting with a letter.
_SEGMENT = re.compile(r"[a-z][a-z0-9_]*")

# First key segments that belong to other teams' pipelines (ingestion and dbt), not to research.
RESERVED_NAMESPACES = ("marts", "raw", "staging")

# An owner as Dagster accepts it: an email address or `team:<name>`.
_OWNER = re.compile(r"team:[A-Za-z0-9_.-]+|[^@\s]+@[^@\s]+\.[^@\s]+")



class AssetKeyError(ValueError):
    """A naming-rule violation with the key to use instead: editors that read `suggestion` (such as
    dagster-components-ls) offer it as a quick fix; Dagster shows the message alone."""

    def __init__(self, message: str, suggestion: str) -> None:
        super().__init__(message)
        self.suggestion = suggestion


def suggested_asset_key(value: str) -> str:
    """The nearest key the rule accepts: snake_case segments under a namespace that is not reserved."""
    segments = [_snake_case(s) for s in value.split("/") if _snake_case(s)] or ["asset"]
    if len(segments) < 2 or segments[0] in RESERVED_NAMESPACES:
        segments = ["research", *segments[1:]] if len(segments) >= 2 else ["research", *segments]
    return "/".join(segments)


def _snake_case(segment: str) -> str:
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", segment.strip())
    words = re.sub(r"[^A-Za-z0-9]+", "_", words).strip("_").lower()
    return f"n_{words}" if words[:1].isdigit() else words

class ComputeSize(str, Enum):
    """Whitelisted compute sizes. Each maps to a fixed CPU/memory profile on the shared cluster."""

    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"


class Observability(dg.Model, dg.Resolvable):
    """How the platform watches a research job: log verbosity, alerting and its SLA."""

    log_level: Annotated[
        Literal["debug", "info", "warning"],
        dg.Resolver.default(description="Log level of the job's run logs."),
    ] = "info"
    alert_channel: Annotated[
        str | None,
        dg.Resolver.default(
            description="Slack channel that receives failure alerts, e.g. `#research-alerts`. "
            "No alerts are sent when unset.",
            examples=["#research-alerts"],
        ),
    ] = None
    sla_minutes: Annotated[
        int,
        Field(ge=5, le=1440),
        dg.Resolver.default(
            description="Maximum minutes a run may take before the platform alerts "
            "(5 to 1440, one day).",
            examples=[60],
        ),
    ] = 60


class ResearchJob(dg.Component, dg.Model, dg.Resolvable):
    """Runs a researcher's notebook or script on the shared cluster and materializes one asset.

    The platform team's governed way to put research code into production. Give the asset key
    it produces, who owns it, and **either** a `notebook` **or** a `script` (a path relative to
    the folder of this `defs.yaml`). List the upstream assets it reads in `deps`, for example
    the dbt models `customers` or `orders`.

    Platform rules enforced on load:

    - `asset_key` has at least two `/`-separated segments (`<namespace>/<name>`), each in
      lowercase snake_case, and its namespace is not one reserved for ingestion and dbt
      (`marts`, `raw`, `staging`);
    - `owner` is an email address or `team:<name>`;
    - exactly one of `notebook` and `script` is set.

    ```yaml
    type: acme_platform.ResearchJob
    attributes:
      asset_key: research/churn_model
      owner: team:research
      notebook: churn_model.ipynb
      compute_size: medium
      deps: [customers, orders]
    ```
    """

    asset_key: str = Field(
        description="Key of the asset this job materializes, `/`-separated, e.g. "
        "`research/churn_model`. At least two lowercase snake_case segments; the first "
        "(the namespace) must not be `marts`, `raw` or `staging`.",
        examples=["research/churn_model"],
    )
    owner: str = Field(
        description="Who answers for the asset: an email address or `team:<name>`.",
        examples=["team:research", "ada@acme.example"],
    )
    notebook: Annotated[
        str | None,
        dg.Resolver.default(
            description="Jupyter notebook to run, relative to this `defs.yaml`'s folder. "
            "Set this or `script`, not both.",
            examples=["churn_model.ipynb"],
        ),
    ] = None
    script: Annotated[
        str | None,
        dg.Resolver.default(
            description="Python script to run, relative to this `defs.yaml`'s folder. "
            "Set this or `notebook`, not both.",
            examples=["features.py"],
        ),
    ] = None
    compute_size: Annotated[
        ComputeSize,
        dg.Resolver.default(
            description="Compute size from the platform whitelist: `small`, `medium` or `large`.",
            examples=["medium"],
        ),
    ] = ComputeSize.SMALL
    # Plain defaults below, not `Field(default_factory=...)`: Dagster 1.11 cannot derive the model
    # of a Resolvable field that has a default_factory. Pydantic copies these defaults per instance.
    observability: Annotated[
        Observability,
        dg.Resolver.default(
            description="Log level, alert channel and SLA of the job's runs.",
            examples=[{"log_level": "info", "alert_channel": "#research-alerts", "sla_minutes": 60}],
        ),
    ] = Observability()
    deps: Annotated[
        list[str],
        dg.Resolver.default(
            description="Keys of the upstream assets this job reads, e.g. dbt models.",
            examples=[["customers", "orders"]],
        ),
    ] = []
    description: Annotated[
        str | None,
        dg.Resolver.default(description="What the asset holds, shown in the Dagster UI."),
    ] = None
    tags: Annotated[
        dict[str, str],
        dg.Resolver.default(
            description="Extra tags on the asset. `compute_size` is always added.",
            examples=[{"domain": "churn"}],
        ),
    ] = {}

    @field_validator("asset_key")
    @classmethod
    def _check_asset_key(cls, value: str) -> str:
        segments = value.split("/")
        if len(segments) < 2:
            raise AssetKeyError(
                f"asset_key {value!r} needs a namespace: write it as '<namespace>/<name>', "
                f"e.g. 'research/{value}'",
                suggested_asset_key(value),
            )
        for segment in segments:
            if not _SEGMENT.fullmatch(segment):
                raise AssetKeyError(
                    f"asset_key {value!r}: segment {segment!r} is not lowercase snake_case "
                    "(a lowercase letter, then lowercase letters, digits or '_')",
                    suggested_asset_key(value),
                )
        if segments[0] in RESERVED_NAMESPACES:
            raise AssetKeyError(
                f"asset_key {value!r} uses the namespace {segments[0]!r}, which is reserved "
                f"for ingestion and dbt ({', '.join(RESERVED_NAMESPACES)}); "
                "use your team's namespace, e.g. 'research/...'",
                suggested_asset_key(value),
            )
        return value

    @field_validator("owner")
    @classmethod
    def _check_owner(cls, value: str) -> str:
        if not _OWNER.fullmatch(value):
            raise ValueError(f"owner {value!r} must be an email address or 'team:<name>'")
        return value

    @model_validator(mode="after")
    def _check_entry_point(self) -> "ResearchJob":
        if (self.notebook is None) == (self.script is None):
            raise ValueError("set exactly one of 'notebook' or 'script'")
        return self

    @property
    def source_file(self) -> str:
        """The notebook or script this job runs, as written in the YAML."""
        return self.notebook if self.notebook is not None else self.script  # type: ignore[return-value]

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        source_path = context.path / self.source_file
        if not source_path.is_file():
            raise FileNotFoundError(
                f"{'notebook' if self.notebook else 'script'} {self.source_file!r} not found "
                f"(looked for {source_path})"
            )
        kind = "jupyter" if self.notebook is not None else "python"
        observability = self.observability
        compute_size = self.compute_size.value

        @dg.asset(
            key=dg.AssetKey.from_user_string(self.asset_key),
            deps=[dg.AssetKey.from_user_string(dep) for dep in self.deps],
            owners=[self.owner],
            kinds={kind},
            tags={**self.tags, "compute_size": compute_size},
            description=self.description,
            metadata={
                "acme/source_file": dg.MetadataValue.path(str(source_path)),
                "acme/sla_minutes": observability.sla_minutes,
                "acme/alert_channel": observability.alert_channel or "",
            },
        )
        def _research_job(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
            # The example platform does not run anything: it records what it would submit.
            log = getattr(context.log, observability.log_level)
            log(f"would run {source_path.name} on a {compute_size} worker")
            return dg.MaterializeResult(metadata={"acme/submitted": Path(source_path).name})

        return dg.Definitions(assets=[_research_job])
