import assert from "node:assert/strict";
import { test } from "node:test";
import { attributesTable, componentMarkdown, exampleYaml, typeName } from "../src/componentDocs";
import { DBT_SCAFFOLD_PARAMS, RESEARCH_JOB } from "./fixtures";

test("type names read like the YAML the user writes", () => {
  const schema = RESEARCH_JOB.schema!;
  const props = schema.properties!;
  assert.equal(typeName(props.asset_key, schema), "string");
  assert.equal(typeName(props.compute_size, schema), '"small" | "medium" | "large" | string');
  assert.equal(typeName(props.deps, schema), "list of string | string");
  assert.equal(typeName(props.notebook, schema), "string (optional)");
});

test("the attributes table escapes pipes and folds newlines", () => {
  assert.equal(attributesTable(RESEARCH_JOB.schema), [
    "| attribute | type | required | default | description |",
    "|---|---|---|---|---|",
    "| `asset_key` | string | yes |  | Key of the asset this job materializes, `/`-separated. |",
    "| `owner` | string | yes |  | Who answers for the asset: an email address or `team:<name>`. |",
    '| `compute_size` | "small" \\| "medium" \\| "large" \\| string |  | `"small"` | Cluster profile \\| size. |',
    "| `deps` | list of string \\| string |  | `[]` |  |",
    "| `notebook` | string (optional) |  | `null` | Jupyter notebook to run. |",
  ].join("\n"));
});

test("the page: title, package, source line, description, attributes, scaffold params, example", () => {
  const page = componentMarkdown({ ...RESEARCH_JOB, scaffold_params_schema: DBT_SCAFFOLD_PARAMS });
  assert.ok(page.startsWith("# acme_platform.ResearchJob\n\nPackage: `acme-platform 0.1.0` · Also known as: `acme_platform.components.research_job.ResearchJob` · Source: `/p/acme_platform/components/research_job.py:42`\n\nRuns a researcher's"));
  assert.ok(page.includes("## Scaffold parameters"));
  assert.ok(page.includes("| `init` | boolean |  | `false` |  |"));
  assert.ok(page.endsWith("## Example\n\n```yaml\ntype: acme_platform.ResearchJob\nattributes:\n  asset_key: \n  owner: \n```\n"));
  assert.ok(!componentMarkdown(RESEARCH_JOB).includes("## Scaffold parameters"), "no section for NoParams");
});

test("an example without required attributes is the type alone", () => {
  assert.equal(exampleYaml({ ...RESEARCH_JOB, schema: { type: "object", properties: {} } }), "type: acme_platform.ResearchJob");
});
