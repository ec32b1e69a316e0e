/** Payloads shaped exactly like the server's (`dagster/components`, `dagster/lineage`), trimmed for the tests. */

import { ComponentType, LineageResult } from "../src/protocol";

/** `dagster_dbt.DbtProjectComponent`'s scaffold params, as dagster-dbt 0.29 reports them. */
export const DBT_SCAFFOLD_PARAMS = {
  properties: {
    init: { default: false, title: "Init", type: "boolean" },
    project_path: { anyOf: [{ type: "string" }, { type: "null" }], default: null, title: "Project Path" },
    git_url: { anyOf: [{ type: "string" }, { type: "null" }], default: null, title: "Git Url" },
  },
  title: "DbtScaffoldParams",
  type: "object",
};

export const RESEARCH_JOB: ComponentType = {
  key: "acme_platform.ResearchJob",
  aliases: ["acme_platform.components.research_job.ResearchJob"],
  summary: "Runs a researcher's notebook or script on the shared cluster and materializes one asset.",
  description: "Runs a researcher's notebook or script on the shared cluster and materializes one asset.\n\nThe platform team's governed way.",
  package: "acme-platform",
  version: "0.1.0",
  schema: {
    $defs: {
      ComputeSize: { description: "Whitelisted compute sizes.", enum: ["small", "medium", "large"], title: "ComputeSize", type: "string" },
    },
    properties: {
      asset_key: { description: "Key of the asset this job materializes, `/`-separated.", title: "Asset Key", type: "string" },
      owner: { description: "Who answers for the asset: an email address or `team:<name>`.", title: "Owner", type: "string" },
      compute_size: { anyOf: [{ $ref: "#/$defs/ComputeSize" }, { type: "string" }], default: "small", description: "Cluster profile | size." },
      deps: { anyOf: [{ items: { type: "string" }, type: "array" }, { type: "string" }], default: [], title: "Deps" },
      notebook: { anyOf: [{ type: "string" }, { type: "null" }], default: null, description: "Jupyter notebook\nto run." },
    },
    required: ["asset_key", "owner"],
    title: "ResearchJob",
    type: "object",
  },
  scaffold_params_schema: { properties: {}, title: "NoParams", type: "object" },
  source: { uri: "file:///p/acme_platform/components/research_job.py", range: { start: { line: 41, character: 0 }, end: { line: 41, character: 0 } } },
};

function asset(key: string, role: "produced" | "upstream" | "downstream", deps: string[] = []): LineageResult["assets"][number] {
  return {
    key, role, deps, document: role === "produced" ? 0 : null, group: "default", kinds: role === "produced" ? ["dbt", "duckdb"] : [],
    owners: [], tags: {}, checks: [], description: null, automation_condition: null,
    location: role === "upstream" ? null : { uri: "file:///p/defs/dbt/defs.yaml", range: { start: { line: 0, character: 0 }, end: { line: 0, character: 4 } } },
  };
}

/** The jaffle_shop shape: seeds upstream, staging and marts produced, a research job downstream. */
export const LINEAGE: LineageResult = {
  assets: [
    asset("raw_orders", "upstream"),
    asset("stg_orders", "produced", ["raw_orders"]),
    asset("orders", "produced", ["stg_orders"]),
    asset("customers", "produced", ["stg_orders"]),
    asset("research/churn_model", "downstream", ["orders", "customers"]),
  ],
  edges: [
    ["raw_orders", "stg_orders"],
    ["stg_orders", "orders"],
    ["stg_orders", "customers"],
    ["orders", "research/churn_model"],
    ["customers", "research/churn_model"],
    ["orders", "not_listed"],
  ],
  errors: [],
  stale: false,
};
