/** Living with Red Hat's YAML extension: each syntax error shown once, no stale static schema on component files. */

import { minimatch } from "minimatch";
import { COMPONENT_FILE_NAMES } from "./constants";

export type SyntaxErrorsSetting = "auto" | "dagster" | "both";

/**
 * Red Hat's YAML extension checks every `*.yaml` file whatever its language (its selector includes the
 * pattern `*.y(a)ml`), so both servers report the same YAML syntax errors. With "auto" we leave those
 * to it while it is active and validating; our schema, template and policy diagnostics stay.
 */
export function dropOurSyntaxErrors(setting: SyntaxErrorsSetting, redHatActive: boolean, redHatValidates: boolean): boolean {
  return setting === "auto" && redHatActive && redHatValidates;
}

/** A pulled report (VS Code's client pulls: see docs/reference/diagnostics.md) without our syntax errors, as
 *  the pushed ones are filtered; an `unChanged` report has no items and stays as it is. */
export function withoutSyntaxErrors<R extends { kind: string; items?: readonly { code?: unknown }[] }>(report: R): R {
  return report.items ? { ...report, items: report.items.filter((d) => d.code !== "yaml-syntax") } : report;
}

/**
 * The `yaml.schemas` entries (schema → glob or globs) that give component files a static schema, as
 * `dg utils configure-editor` or a hand-written setting would: its errors would duplicate ours and
 * go stale after every code change. Sample: `{"/p/.dg/schema.json": "**\/defs.yaml"}`.
 */
export function staticSchemaMappings(yamlSchemas: Record<string, string | string[]> | undefined): string[] {
  if (!yamlSchemas) {
    return [];
  }
  return Object.entries(yamlSchemas)
    .filter(([, globs]) => (Array.isArray(globs) ? globs : [globs]).some((glob) => matchesComponentFile(String(glob))))
    .map(([schema]) => schema);
}

/**
 * Whether the glob's last part names component files (`**\/defs.yaml`, `/abs/**\/component.y*ml`), or
 * the glob is a bare pattern for every YAML file (`*.yaml`). `.github/workflows/*.yml` is about other files.
 */
function matchesComponentFile(glob: string): boolean {
  const lastPart = glob.split("/").pop() ?? glob;
  const names = lastPart === glob || /defs|component/.test(lastPart);
  return names && COMPONENT_FILE_NAMES.some((name) => minimatch(name, lastPart, { dot: true }));
}

export function withoutMappings(yamlSchemas: Record<string, string | string[]>, schemas: string[]): Record<string, string | string[]> {
  const remove = new Set(schemas);
  return Object.fromEntries(Object.entries(yamlSchemas).filter(([schema]) => !remove.has(schema)));
}
