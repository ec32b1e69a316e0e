import assert from "node:assert/strict";
import { test } from "node:test";
import { resolvedText } from "../src/resolvedText";

const at = (line: number) => ({ start: { line, character: 19 }, end: { line, character: 50 } });

test("the rendered YAML is shown as the server sent it when nothing went wrong", () => {
  assert.equal(resolvedText({ text: "type: x\nattributes:\n  a: 1\n", errors: [] }, "defs.yaml"), "type: x\nattributes:\n  a: 1\n");
});

test("errors come first, one comment each with the source's 1-based line", () => {
  const answer = { text: "type: x\n", errors: [{ message: "Environment variable A is not set\nand has no default", range: at(15) }] };
  assert.equal(resolvedText(answer, "defs.yaml"), "# defs.yaml:16: Environment variable A is not set and has no default\n\ntype: x\n");
});

test("a file with nothing to render says so", () => {
  assert.equal(resolvedText({ text: "", errors: [] }, "defs.yaml"), "# Nothing to show: the file has no component document.\n");
  assert.equal(resolvedText({ text: "", errors: [{ message: "not trusted", range: at(0) }] }, "defs.yaml"), "# defs.yaml:1: not trusted\n");
});
