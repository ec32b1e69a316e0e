/** A component type's documentation page, as Markdown, from its `dagster/components` entry. */

import { ComponentType, JsonSchema } from "./protocol";

/** Follow a local `$ref` (`#/$defs/X`) against the schema's root. */
export function resolveRef(schema: JsonSchema, root: JsonSchema): JsonSchema {
  let current = schema;
  for (let hops = 0; current.$ref && hops < 20; hops++) {
    const name = current.$ref.replace(/^#\/\$defs\//, "");
    const target = root.$defs?.[name];
    if (!target) {
      break;
    }
    current = { ...target, ...withoutRef(current) };
  }
  return current;
}

function withoutRef(schema: JsonSchema): JsonSchema {
  const copy = { ...schema };
  delete copy.$ref;
  return copy;
}

/** A short type name for a property: `string`, `integer`, `"a" | "b"`, `list of string`, `ResearchCompute`… */
export function typeName(schema: JsonSchema, root: JsonSchema, depth = 0): string {
  if (depth > 4) {
    return "…";
  }
  if (schema.$ref) {
    const resolved = resolveRef(schema, root);
    if (resolved.enum) {
      return resolved.enum.map((v) => JSON.stringify(v)).join(" | ");
    }
    return resolved.title ?? schema.$ref.split("/").pop() ?? "object";
  }
  if (schema.enum) {
    return schema.enum.map((v) => JSON.stringify(v)).join(" | ");
  }
  if (schema.const !== undefined) {
    return JSON.stringify(schema.const);
  }
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches) {
    const names = branches.map((b) => typeName(b, root, depth + 1)).filter((n) => n !== "null");
    const unique = [...new Set(names)];
    const nullable = branches.some((b) => b.type === "null");
    return unique.join(" | ") + (nullable ? " (optional)" : "");
  }
  if (schema.type === "array") {
    return `list of ${schema.items ? typeName(schema.items, root, depth + 1) : "any"}`;
  }
  if (Array.isArray(schema.type)) {
    return schema.type.join(" | ");
  }
  return schema.type ?? "any";
}

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n+/g, " ");
}

/** The attributes table: name, type, required, default, description. */
export function attributesTable(schema: JsonSchema | null): string {
  const properties = schema?.properties ?? {};
  const names = Object.keys(properties);
  if (!schema || names.length === 0) {
    return "_No attributes._";
  }
  const required = new Set(schema.required ?? []);
  const rows = names.map((name) => {
    const property = properties[name];
    const resolved = resolveRef(property, schema);
    const description = property.description ?? resolved.description ?? "";
    const fallback = property.default === undefined ? "" : `\`${JSON.stringify(property.default)}\``;
    return `| \`${name}\` | ${cell(typeName(property, schema))} | ${required.has(name) ? "yes" : ""} | ${cell(fallback)} | ${cell(description)} |`;
  });
  return ["| attribute | type | required | default | description |", "|---|---|---|---|---|", ...rows].join("\n");
}

/** The smallest valid-looking instance: the type and its required attributes. */
export function exampleYaml(component: ComponentType): string {
  const required = component.schema?.required ?? [];
  const lines = [`type: ${component.key}`];
  if (required.length > 0) {
    lines.push("attributes:");
    for (const name of required) {
      lines.push(`  ${name}: `);
    }
  }
  return lines.join("\n");
}

export function componentMarkdown(component: ComponentType): string {
  const parts = [`# ${component.key}`];
  const meta = [component.package && `Package: \`${component.package}${component.version ? ` ${component.version}` : ""}\``,
    component.aliases.length > 0 && `Also known as: ${component.aliases.map((a) => `\`${a}\``).join(", ")}`,
    // Markdown previews refuse file: links, so the source is named; the list's button opens it.
    component.source && `Source: \`${decodeURIComponent(component.source.uri.replace(/^file:\/\//, ""))}:${component.source.range.start.line + 1}\``].filter(Boolean);
  if (meta.length > 0) {
    parts.push(meta.join(" · "));
  }
  if (component.description ?? component.summary) {
    parts.push((component.description ?? component.summary) as string);
  }
  parts.push("## Attributes", attributesTable(component.schema));
  const scaffold = component.scaffold_params_schema;
  if (scaffold?.properties && Object.keys(scaffold.properties).length > 0) {
    parts.push("## Scaffold parameters", "Asked by **Dagster: New Component Instance…** (`dg scaffold defs` options).", attributesTable(scaffold));
  }
  parts.push("## Example", "```yaml\n" + exampleYaml(component) + "\n```");
  return parts.join("\n\n") + "\n";
}
