"""The `Metric` component: one business metric aggregated from a column of an upstream table."""

from typing import Annotated, Literal

import dagster as dg
from pydantic import Field


class Metric(dg.Component, dg.Model, dg.Resolvable):
    """A business metric aggregated from one column of an upstream table.

    Produces the asset `metrics/<name>`, downstream of `table`. The analytics team uses it for
    the handful of numbers leadership reads every week; anything more involved belongs in dbt.

    ```yaml
    type: acme_analytics.components.metric.Metric
    attributes:
      name: revenue
      table: orders
      column: amount
      aggregation: sum
    ```
    """

    name: str = Field(
        description="Metric name in snake_case; the asset key is `metrics/<name>`.",
        examples=["revenue"],
    )
    table: str = Field(
        description="Key of the upstream asset (usually a dbt model) the metric reads.",
        examples=["orders"],
    )
    column: str = Field(description="Column to aggregate.", examples=["amount"])
    aggregation: Annotated[
        Literal["sum", "count", "avg"],
        dg.Resolver.default(description="How the column is aggregated."),
    ] = "sum"
    owner: Annotated[
        str,
        dg.Resolver.default(description="Owner of the metric: an email address or `team:<name>`."),
    ] = "team:analytics"

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        expression = f"{self.aggregation}({self.column})"

        @dg.asset(
            key=dg.AssetKey(["metrics", self.name]),
            deps=[dg.AssetKey.from_user_string(self.table)],
            owners=[self.owner],
            kinds={"duckdb"},
            group_name="metrics",
            description=f"`{expression}` over `{self.table}`.",
        )
        def _metric(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
            context.log.info(f"would compute select {expression} from {self.table}")
            return dg.MaterializeResult(metadata={"expression": expression})

        return dg.Definitions(assets=[_metric])
