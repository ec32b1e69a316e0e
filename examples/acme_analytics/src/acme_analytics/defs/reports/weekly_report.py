"""`WeeklyReport`, a component local to this folder (used as `type: .weekly_report.WeeklyReport`)."""

from typing import Annotated

import dagster as dg
from pydantic import Field


class WeeklyReport(dg.Component, dg.Model, dg.Resolvable):
    """A weekly digest built from research assets and published to a bucket.

    Produces one asset and a schedule that materializes it on `cron`.
    """

    asset_key: str = Field(description="Key of the report asset.", examples=["reports/weekly"])
    owner: str = Field(description="Owner of the report: an email address or `team:<name>`.")
    sources: list[str] = Field(description="Keys of the assets the report summarises.")
    cron: Annotated[
        str, dg.Resolver.default(description="When to build the report (cron, UTC).")
    ] = "0 7 * * MON"
    destination: Annotated[
        str | None,
        dg.Resolver.default(
            description="Bucket URL the report is published to; only logged when unset."
        ),
    ] = None

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        key = dg.AssetKey.from_user_string(self.asset_key)
        destination = self.destination

        @dg.asset(
            key=key,
            deps=[dg.AssetKey.from_user_string(source) for source in self.sources],
            owners=[self.owner],
            kinds={"python"},
            group_name="reports",
        )
        def _report(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
            context.log.info(f"would publish the digest to {destination or '(nowhere: unset)'}")
            return dg.MaterializeResult(metadata={"destination": destination or ""})

        schedule = dg.ScheduleDefinition(
            name=f"{'_'.join(key.path)}_schedule",
            target=dg.AssetSelection.assets(key),
            cron_schedule=self.cron,
        )
        return dg.Definitions(assets=[_report], schedules=[schedule])
