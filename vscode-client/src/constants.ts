/** Names shared by the extension's modules: ids, settings, server methods. */

export const LANGUAGE_ID = "dagster-components";
export const CONFIG_SECTION = "dagsterComponents";
export const CLIENT_ID = "dagsterComponents"; // vscode-languageclient reads `${CLIENT_ID}.trace.server`
export const OUTPUT_CHANNEL = "Dagster Components";
export const ENVIRONMENT_CHANNEL = "Dagster Components: environment";
export const COMPONENT_FILE_NAMES = ["defs.yaml", "defs.yml", "component.yaml"];
export const SERVER_PACKAGE = "dagster_components_ls";
export const RED_HAT_YAML = "redhat.vscode-yaml";
export const PYTHON_EXTENSION = "ms-python.python";
/** What `dg utils configure-editor` installs: a code-less extension giving Red Hat YAML a static schema. */
export const DG_SCHEMA_EXTENSION = "dagster.dagster-components-schema";

export const Commands = {
  showLineage: "dagsterComponents.showLineage",
  listComponents: "dagsterComponents.listComponents",
  newInstance: "dagsterComponents.newInstance",
  restartServer: "dagsterComponents.restartServer",
  showLog: "dagsterComponents.showLog",
  refreshRegistry: "dagsterComponents.refreshRegistry",
  openAsset: "dagsterComponents.openAsset",
  createEnvironment: "dagsterComponents.createEnvironment",
  showResolved: "dagsterComponents.showResolved",
} as const;

/** DESIGN's LSP extensions. */
export const Server = {
  components: "dagster/components",
  lineage: "dagster/lineage",
  resolved: "dagster/resolved",
  status: "dagster/status",
  scaffold: "dagster.scaffold",
  showLineage: "dagster.showLineage",
  refreshRegistry: "dagster.refreshRegistry",
} as const;
