import assert from "node:assert/strict";
import { test } from "node:test";
import { defaultFolderName, paramSteps, parseAnswer, Step, validateFolderPath } from "../src/scaffoldParams";
import { DBT_SCAFFOLD_PARAMS } from "./fixtures";

test("dbt's scaffold params become a yes/no choice and two optional text inputs", () => {
  assert.deepEqual(paramSteps(DBT_SCAFFOLD_PARAMS), [
    { name: "init", kind: "choice", prompt: "init (optional: leave empty to skip)", required: false, options: ["true", "false"], values: [true, false] },
    { name: "project_path", kind: "text", prompt: "project_path (optional: leave empty to skip)", required: false, valueType: "string", placeholder: "string (optional)" },
    { name: "git_url", kind: "text", prompt: "git_url (optional: leave empty to skip)", required: false, valueType: "string", placeholder: "string (optional)" },
  ]);
});

test("required params come first; enums become choices; no params, no steps", () => {
  const steps = paramSteps({
    properties: { mode: { enum: ["a", "b"], description: "How." }, name: { type: "string" }, count: { type: "integer", default: 3 } },
    required: ["name"],
  });
  assert.deepEqual(steps.map((s) => [s.name, s.kind, s.required]), [["name", "text", true], ["mode", "choice", false], ["count", "text", false]]);
  assert.equal(steps[1].prompt, "mode (optional: leave empty to skip) · How.");
  assert.equal((steps[2] as Extract<Step, { kind: "text" }>).placeholder, "3");
  assert.deepEqual(paramSteps({ properties: {}, title: "NoParams", type: "object" }), []);
  assert.deepEqual(paramSteps(null), []);
});

test("answers are typed, skipped when optional and empty, refused with a reason", () => {
  const text = (valueType: "string" | "integer" | "number" | "json", required = false) =>
    ({ name: "x", kind: "text", prompt: "", required, valueType, placeholder: "" }) as const;
  assert.deepEqual(parseAnswer(text("string"), "  jaffle  "), { value: "jaffle" });
  assert.deepEqual(parseAnswer(text("string"), ""), { skip: true });
  assert.deepEqual(parseAnswer(text("string", true), " "), { error: "x is required" });
  assert.deepEqual(parseAnswer(text("integer"), "12"), { value: 12 });
  assert.deepEqual(parseAnswer(text("integer"), "1.5"), { error: "x must be a whole number" });
  assert.deepEqual(parseAnswer(text("number"), "1.5"), { value: 1.5 });
  assert.deepEqual(parseAnswer(text("json"), '["a"]'), { value: ["a"] });
  assert.deepEqual(parseAnswer(text("json"), "[a"), { error: 'x must be JSON (for example ["a", "b"] or {"k": "v"})' });
});

test("folder names: snake_case of the class, and only safe relative paths", () => {
  assert.equal(defaultFolderName("dagster_dbt.DbtProjectComponent"), "dbt_project");
  assert.equal(defaultFolderName("acme_platform.ResearchJob"), "research_job");
  assert.equal(defaultFolderName("x.HTTPSourceComponent"), "http_source");
  assert.equal(validateFolderPath("research/churn"), undefined);
  assert.equal(validateFolderPath("../out"), "A path inside the defs folder, without '..'");
  assert.equal(validateFolderPath("/abs"), "A path inside the defs folder, without '..'");
  assert.equal(validateFolderPath("a b"), "Letters, digits, '_', '-' and '/' only");
  assert.equal(validateFolderPath(" "), "Give a folder name");
});
