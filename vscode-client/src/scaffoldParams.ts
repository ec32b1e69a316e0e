/** The scaffold parameters of a component type as a series of inputs (from `scaffold_params_schema`), and their answers. */

import { resolveRef, typeName } from "./componentDocs";
import { JsonSchema } from "./protocol";

export type Step =
  | { name: string; kind: "choice"; prompt: string; required: boolean; options: string[]; values: unknown[] }
  | { name: string; kind: "text"; prompt: string; required: boolean; valueType: "string" | "integer" | "number" | "json"; placeholder: string };

function scalarType(schema: JsonSchema): JsonSchema["type"] {
  const branches = (schema.anyOf ?? schema.oneOf ?? []).filter((b) => b.type !== "null");
  return branches.length === 1 ? branches[0].type : schema.type;
}

/** One step per property, required ones first, in the schema's order otherwise. */
export function paramSteps(schema: JsonSchema | null): Step[] {
  const properties = schema?.properties ?? {};
  const required = new Set(schema?.required ?? []);
  const names = Object.keys(properties).sort((a, b) => Number(required.has(b)) - Number(required.has(a)));
  return names.map((name): Step => {
    const property = resolveRef(properties[name], schema as JsonSchema);
    const isRequired = required.has(name);
    const about = property.description ?? properties[name].description ?? "";
    const prompt = `${name}${isRequired ? "" : " (optional: leave empty to skip)"}${about ? ` · ${about}` : ""}`;
    const branches = property.anyOf ?? property.oneOf ?? [];
    const enumValues = property.enum ?? branches.find((b) => resolveRef(b, schema as JsonSchema).enum)?.enum;
    if (enumValues) {
      return { name, kind: "choice", prompt, required: isRequired, options: enumValues.map(String), values: enumValues };
    }
    const type = scalarType(property);
    if (type === "boolean") {
      return { name, kind: "choice", prompt, required: isRequired, options: ["true", "false"], values: [true, false] };
    }
    const valueType = type === "integer" || type === "number" || type === "string" ? type : "json";
    const placeholder = property.default !== undefined && property.default !== null ? String(property.default) : typeName(properties[name], schema as JsonSchema);
    return { name, kind: "text", prompt, required: isRequired, valueType, placeholder };
  });
}

/** A typed answer, `{ skip }` for an empty optional one, or `{ error }` to show under the input box. */
export function parseAnswer(step: Extract<Step, { kind: "text" }>, raw: string): { value: unknown } | { skip: true } | { error: string } {
  const text = raw.trim();
  if (text === "") {
    return step.required ? { error: `${step.name} is required` } : { skip: true };
  }
  switch (step.valueType) {
    case "string":
      return { value: text };
    case "integer":
      return /^-?\d+$/.test(text) ? { value: Number(text) } : { error: `${step.name} must be a whole number` };
    case "number":
      return Number.isFinite(Number(text)) ? { value: Number(text) } : { error: `${step.name} must be a number` };
    case "json":
      try {
        return { value: JSON.parse(text) };
      } catch {
        return { error: `${step.name} must be JSON (for example ["a", "b"] or {"k": "v"})` };
      }
  }
}

/** The folder name `dg scaffold defs` users pick by habit: the type's class name in snake_case. */
export function defaultFolderName(typeKey: string): string {
  const className = typeKey.split(".").pop() ?? typeKey;
  return className
    .replace(/Component$/, "")
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
    .toLowerCase() || "component";
}

/** A new folder's path relative to the defs folder: `a/b` allowed; absolute, `..` and odd characters refused. */
export function validateFolderPath(relative: string): string | undefined {
  const value = relative.trim();
  if (!value) {
    return "Give a folder name";
  }
  if (value.startsWith("/") || value.split("/").some((part) => part === ".." || part === ".")) {
    return "A path inside the defs folder, without '..'";
  }
  if (!/^[A-Za-z0-9_\-/]+$/.test(value) || value.endsWith("/")) {
    return "Letters, digits, '_', '-' and '/' only";
  }
  return undefined;
}
