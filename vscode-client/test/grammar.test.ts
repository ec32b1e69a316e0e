import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import * as oniguruma from "vscode-oniguruma";
import { INITIAL, IGrammar, parseRawGrammar, Registry } from "vscode-textmate";

// VS Code 1.100's own YAML grammars (test/grammars/, MIT) with ours on top, as the editor loads them.
const HERE = path.resolve(__dirname, "..", "..");
const VSCODE_GRAMMARS = path.join(HERE, "test", "grammars");
const OURS: Record<string, string> = {
  "source.yaml.dagster-components": path.join(HERE, "syntaxes", "dagster-components.tmLanguage.json"),
  "template.dagster-components.injection": path.join(HERE, "syntaxes", "templates.injection.tmLanguage.json"),
};

async function loadGrammar(): Promise<IGrammar> {
  const wasm = readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm"));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new Registry({
    onigLib: Promise.resolve({ createOnigScanner: (s) => new oniguruma.OnigScanner(s), createOnigString: (s) => new oniguruma.OnigString(s) }),
    loadGrammar: async (scopeName) => {
      // source.yaml -> yaml.tmLanguage.json, source.yaml.1.2 -> yaml-1.2.tmLanguage.json
      const file = OURS[scopeName] ?? path.join(VSCODE_GRAMMARS, `${scopeName.replace(/^source\.yaml\.?/, "yaml-").replace(/-$/, "")}.tmLanguage.json`);
      try {
        return parseRawGrammar(readFileSync(file, "utf8"), file);
      } catch {
        return null;
      }
    },
    getInjections: (scopeName) => (scopeName === "source.yaml.dagster-components" ? ["template.dagster-components.injection"] : undefined),
  });
  const grammar = await registry.loadGrammar("source.yaml.dagster-components");
  assert.ok(grammar);
  return grammar;
}

/** Each token of each line as `text => innermost scope`. */
async function tokens(text: string): Promise<string[][]> {
  const grammar = await loadGrammar();
  let state = INITIAL;
  return text.split("\n").map((line) => {
    const result = grammar.tokenizeLine(line, state);
    state = result.ruleStack;
    return result.tokens.map((t) => `${line.slice(t.startIndex, t.endIndex)} => ${t.scopes[t.scopes.length - 1]}`);
  });
}

function templateTokens(lines: string[][]): string[] {
  return lines.flat().filter((t) => t.split(" => ")[1].endsWith(".dagster"));
}

test("{{ }} in a double-quoted value is highlighted as an expression", async () => {
  const lines = await tokens('attributes:\n  project: "{{ context.project_root }}/transform/jdbt"\n');
  assert.deepEqual(templateTokens(lines), [
    "{{ => punctuation.section.embedded.begin.dagster",
    "  => source.jinja.dagster",
    "context => variable.language.jinja.dagster",
    ". => punctuation.accessor.jinja.dagster",
    "project_root => variable.other.property.jinja.dagster",
    "  => source.jinja.dagster",
    "}} => punctuation.section.embedded.end.dagster",
  ]);
});

test("{{ }} in a plain value, with a function call and a string", async () => {
  const lines = await tokens("attributes:\n  translation:\n    key: target/main/{{ node.name }}\n    group: x_{{ env('GROUP') }}\n");
  assert.deepEqual(templateTokens(lines), [
    "{{ => punctuation.section.embedded.begin.dagster",
    "  => source.jinja.dagster",
    "node => variable.other.readwrite.jinja.dagster",
    ". => punctuation.accessor.jinja.dagster",
    "name => variable.other.property.jinja.dagster",
    "  => source.jinja.dagster",
    "}} => punctuation.section.embedded.end.dagster",
    "{{ => punctuation.section.embedded.begin.dagster",
    "  => source.jinja.dagster",
    "env => entity.name.function.jinja.dagster",
    "( => punctuation.jinja.dagster",
    "'GROUP' => string.quoted.single.jinja.dagster",
    ") => punctuation.jinja.dagster",
    "  => source.jinja.dagster",
    "}} => punctuation.section.embedded.end.dagster",
  ]);
});

test("keys, comments and plain YAML keep VS Code's YAML scopes", async () => {
  const lines = await tokens("type: dagster_dbt.DbtProjectComponent  # {{ not a template }}\n");
  assert.deepEqual(templateTokens(lines), [], lines[0].join("\n"));
  assert.ok(lines[0].some((t) => t.startsWith("type => entity.name.tag.yaml")), lines[0].join("\n"));
});
