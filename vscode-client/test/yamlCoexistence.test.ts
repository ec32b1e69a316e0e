import assert from "node:assert/strict";
import { test } from "node:test";
import { dropOurSyntaxErrors, staticSchemaMappings, withoutMappings, withoutSyntaxErrors } from "../src/yamlCoexistence";

test("syntax errors are left to Red Hat's extension only when it is active and validating, in auto mode", () => {
  assert.equal(dropOurSyntaxErrors("auto", true, true), true);
  assert.equal(dropOurSyntaxErrors("auto", true, false), false);
  assert.equal(dropOurSyntaxErrors("auto", false, true), false);
  assert.equal(dropOurSyntaxErrors("dagster", true, true), false);
  assert.equal(dropOurSyntaxErrors("both", true, true), false);
});

test("static schemas mapped onto component files are found, others kept", () => {
  const schemas = {
    "/p/.dg/schema.json": "/p/**/component.y*ml",
    "https://json.schemastore.org/github-workflow.json": ".github/workflows/*.yml",
    "/q/schema.json": ["**/defs.yaml", "other.yaml"],
    "/all.json": "*.yaml",
    "/k8s.json": "k8s/**/*.yml",
  };
  assert.deepEqual(staticSchemaMappings(schemas), ["/p/.dg/schema.json", "/q/schema.json", "/all.json"]);
  assert.deepEqual(Object.keys(withoutMappings(schemas, ["/p/.dg/schema.json", "/q/schema.json"])), [
    "https://json.schemastore.org/github-workflow.json", "/all.json", "/k8s.json",
  ]);
  assert.deepEqual(staticSchemaMappings(undefined), []);
});

test("a pulled report loses our syntax errors, an unchanged one stays as it is", () => {
  const full = { kind: "full", resultId: "a", items: [{ code: "yaml-syntax" }, { code: "invalid-value" }] };
  assert.deepEqual(withoutSyntaxErrors(full), { kind: "full", resultId: "a", items: [{ code: "invalid-value" }] });
  const unchanged = { kind: "unChanged", resultId: "a" };
  assert.equal(withoutSyntaxErrors(unchanged), unchanged);
});
