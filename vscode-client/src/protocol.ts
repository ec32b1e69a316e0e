/** The shapes of DESIGN's LSP extensions as the client sees them (plain JSON). */

export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

export interface Location {
  uri: string;
  range: Range;
}

/** `dagster/status` */
export interface ServerStatus {
  project: string | null;
  interpreter: string | null;
  subject: "registry" | "lineage" | "worker";
  state: "loading" | "ready" | "error" | "untrusted";
  message: string;
}

export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  examples?: unknown[];
}

/** An item of `dagster/components`. */
export interface ComponentType {
  key: string;
  aliases: string[];
  summary: string | null;
  description: string | null;
  package: string | null;
  version: string | null;
  schema: JsonSchema | null;
  scaffold_params_schema: JsonSchema | null;
  source: Location | null;
}

export interface LineageAsset {
  key: string;
  role: "produced" | "upstream" | "downstream";
  document: number | null;
  group: string | null;
  kinds: string[];
  owners: string[];
  tags: Record<string, string>;
  deps: string[];
  checks: string[];
  description: string | null;
  automation_condition: string | null;
  location: Location | null;
}

/** `dagster/lineage` */
export interface LineageResult {
  assets: LineageAsset[];
  edges: [string, string][];
  errors: { message: string; uri: string | null; range: Range | null }[];
  stale: boolean;
}
