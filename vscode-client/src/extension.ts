/** Activation and deactivation only: the modules do the work. */

import * as vscode from "vscode";
import { ServerManager } from "./client";
import { registerCommands } from "./commands";
import { CONFIG_SECTION, OUTPUT_CHANNEL } from "./constants";
import { EnvironmentCreator } from "./environment";
import { LineagePanel } from "./lineage/panel";
import { onDidChangePythonEnvironment } from "./python";
import { offerToRemoveStaticSchemas } from "./redHat";
import { StatusBar } from "./status";

let server: ServerManager | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const log = vscode.window.createOutputChannel(OUTPUT_CHANNEL, { log: true });
  const status = new StatusBar();
  server = new ServerManager(context, log, status);
  context.subscriptions.push(log, status, server);
  registerCommands(context, server);
  // Before the server starts: its first statuses may say the project's environment is not set up.
  context.subscriptions.push(new EnvironmentCreator(server, status.board));
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration(CONFIG_SECTION)) void server?.restart("settings changed");
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => void server?.restart("the workspace is now trusted")),
  );
  const pythonChanges = await onDidChangePythonEnvironment(() => void server?.restart("the Python extension's environment changed"));
  if (pythonChanges) context.subscriptions.push(pythonChanges);
  await server.start();
  void offerToRemoveStaticSchemas(context.workspaceState, log);
}

export async function deactivate(): Promise<void> {
  LineagePanel.disposeCurrent();
  await server?.stop();
}
