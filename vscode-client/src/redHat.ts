/** VS Code side of living with Red Hat's YAML extension (decisions in yamlCoexistence.ts). */

import * as vscode from "vscode";
import { CONFIG_SECTION, DG_SCHEMA_EXTENSION, RED_HAT_YAML } from "./constants";
import { dropOurSyntaxErrors, staticSchemaMappings, SyntaxErrorsSetting, withoutMappings } from "./yamlCoexistence";

const DONT_ASK_KEY = "dagsterComponents.staticSchema.dontAsk";

export function shouldDropSyntaxErrors(): boolean {
  const setting = vscode.workspace.getConfiguration(CONFIG_SECTION).get<SyntaxErrorsSetting>("yamlExtension.syntaxErrors", "auto");
  const redHat = vscode.extensions.getExtension(RED_HAT_YAML) !== undefined;
  const validates = vscode.workspace.getConfiguration("yaml").get<boolean>("validate", true);
  return dropOurSyntaxErrors(setting, redHat, validates);
}

/** Offer once per workspace to remove static Dagster schemas that make Red Hat YAML repeat (stale) errors on component files. */
export async function offerToRemoveStaticSchemas(state: vscode.Memento, log: vscode.LogOutputChannel): Promise<void> {
  if (vscode.extensions.getExtension(RED_HAT_YAML) === undefined || state.get<boolean>(DONT_ASK_KEY)) {
    return;
  }
  const yaml = vscode.workspace.getConfiguration("yaml");
  const inspected = yaml.inspect<Record<string, string | string[]>>("schemas");
  const targets: [vscode.ConfigurationTarget, Record<string, string | string[]> | undefined][] = [
    [vscode.ConfigurationTarget.Global, inspected?.globalValue],
    [vscode.ConfigurationTarget.Workspace, inspected?.workspaceValue],
    [vscode.ConfigurationTarget.WorkspaceFolder, inspected?.workspaceFolderValue],
  ];
  const found = targets.map(([target, value]) => [target, value, staticSchemaMappings(value)] as const).filter(([, , keys]) => keys.length > 0);
  const dgExtension = vscode.extensions.getExtension(DG_SCHEMA_EXTENSION) !== undefined;
  if (found.length === 0 && !dgExtension) {
    return;
  }
  const what = [...found.flatMap(([, , keys]) => keys.map((k) => `yaml.schemas "${k}"`)), ...(dgExtension ? [`the ${DG_SCHEMA_EXTENSION} extension`] : [])];
  log.info(`Static schemas for component files found: ${what.join(", ")}`);
  const choice = await vscode.window.showInformationMessage(
    `Red Hat's YAML extension also checks component files against a static Dagster schema (${what.join(", ")}). Its errors repeat ours and go stale after every code change. Remove it?`,
    "Remove",
    "Keep",
    "Don't Ask Again",
  );
  if (choice === "Don't Ask Again") {
    await state.update(DONT_ASK_KEY, true);
  } else if (choice === "Remove") {
    for (const [target, value, keys] of found) {
      await yaml.update("schemas", withoutMappings(value ?? {}, [...keys]), target);
    }
    if (dgExtension) {
      await vscode.commands.executeCommand("workbench.extensions.uninstallExtension", DG_SCHEMA_EXTENSION);
    }
    log.info(`Removed: ${what.join(", ")}`);
  }
}
