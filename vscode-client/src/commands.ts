/** The "Dagster: …" commands: lineage, the component list and its docs, new instances, restart, log. */

import * as path from "node:path";
import * as vscode from "vscode";
import { ServerManager } from "./client";
import { componentMarkdown } from "./componentDocs";
import { Commands, COMPONENT_FILE_NAMES, Server } from "./constants";
import { isComponentFile, LineagePanel, openLocation } from "./lineage/panel";
import { ComponentType } from "./protocol";
import { projectRoots } from "./python";
import { RESOLVED_SCHEME, ResolvedYamlProvider, showResolved } from "./resolvedView";
import { defaultFolderName, paramSteps, parseAnswer, Step, validateFolderPath } from "./scaffoldParams";

const DOCS_SCHEME = "dagster-component";

export function registerCommands(context: vscode.ExtensionContext, server: ServerManager): void {
  const docs = new ComponentDocsProvider();
  const resolved = new ResolvedYamlProvider(server);
  context.subscriptions.push(
    resolved,
    vscode.workspace.registerTextDocumentContentProvider(RESOLVED_SCHEME, resolved),
    vscode.commands.registerCommand(Commands.showResolved, (uri?: vscode.Uri) => showResolved(resolved, uri)),
    vscode.workspace.registerTextDocumentContentProvider(DOCS_SCHEME, docs),
    vscode.commands.registerCommand(Commands.showLineage, (uri?: vscode.Uri) => showLineage(context, server, uri)),
    vscode.commands.registerCommand(Commands.listComponents, () => listComponents(server, docs)),
    vscode.commands.registerCommand(Commands.newInstance, (folder?: vscode.Uri) => newInstance(server, folder)),
    vscode.commands.registerCommand(Commands.restartServer, () => server.restart("asked from the command palette")),
    vscode.commands.registerCommand(Commands.showLog, () => server.log.show()),
    vscode.commands.registerCommand(Commands.refreshRegistry, () => server.client?.sendRequest("workspace/executeCommand", { command: Server.refreshRegistry, arguments: [] })),
  );
}

function showLineage(context: vscode.ExtensionContext, server: ServerManager, uri?: vscode.Uri): void {
  const target = uri ?? vscode.window.activeTextEditor?.document.uri;
  if (!target || !isComponentFile(target)) {
    void vscode.window.showInformationMessage("Open a defs.yaml to see its lineage.");
    return;
  }
  LineagePanel.show(context.extensionUri, () => server.client, { uri: target, document: undefined });
}

async function components(server: ServerManager): Promise<ComponentType[] | undefined> {
  // Only when no server runs: ServerManager.start() on a running one starts a second client, whose
  // commands (dagster.showLineage…) already exist, so it fails and the status bar says "stopped".
  if (!server.client) await server.start();
  if (!server.client) {
    void vscode.window.showErrorMessage("The Dagster Components server is not running.", "Show Log").then((c) => c && server.log.show());
    return undefined;
  }
  const active = vscode.window.activeTextEditor?.document.uri;
  const anchor = active?.scheme === "file" ? active : (await projectRoots()).map((root) => vscode.Uri.file(path.join(root, "pyproject.toml")))[0];
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: "Reading component types" }, () =>
    server.client!.sendRequest<ComponentType[]>(Server.components, anchor ? { uri: anchor.toString() } : {}),
  );
}

interface ComponentPick extends vscode.QuickPickItem {
  component: ComponentType;
}

const GO_TO_SOURCE: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon("go-to-file"), tooltip: "Go to the component's class" };

function componentPicks(list: ComponentType[], withSourceButton = false): ComponentPick[] {
  return list.map((component) => ({
    label: component.key,
    description: [component.package, component.version].filter(Boolean).join(" "),
    detail: component.summary ?? undefined,
    buttons: withSourceButton && component.source ? [GO_TO_SOURCE] : undefined,
    component,
  }));
}

async function listComponents(server: ServerManager, docs: ComponentDocsProvider): Promise<void> {
  const list = await components(server);
  if (!list) return;
  const quickPick = vscode.window.createQuickPick<ComponentPick>();
  quickPick.title = `Dagster components (${list.length})`;
  quickPick.placeholder = "Choose a component type to read its documentation";
  quickPick.matchOnDescription = true;
  quickPick.matchOnDetail = true;
  quickPick.items = componentPicks(list, true);
  quickPick.onDidTriggerItemButton(({ item }) => {
    quickPick.hide();
    if (item.component.source) void openLocation(item.component.source);
  });
  quickPick.onDidAccept(() => {
    const pick = quickPick.selectedItems[0];
    quickPick.hide();
    if (pick) void vscode.commands.executeCommand("markdown.showPreview", docs.publish(pick.component));
  });
  quickPick.onDidHide(() => quickPick.dispose());
  quickPick.show();
}

/** Serves `dagster-component:/<key>.md` pages, so Markdown's own preview renders them. */
class ComponentDocsProvider implements vscode.TextDocumentContentProvider {
  private readonly pages = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  publish(component: ComponentType): vscode.Uri {
    const uri = vscode.Uri.from({ scheme: DOCS_SCHEME, path: `/${component.key}.md` });
    this.pages.set(uri.toString(), componentMarkdown(component));
    this.changed.fire(uri);
    return uri;
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.pages.get(uri.toString()) ?? "This page is gone: run **Dagster: List Components** again.";
  }
}

async function defsFolders(): Promise<vscode.Uri[]> {
  const files = await vscode.workspace.findFiles(`**/{${COMPONENT_FILE_NAMES.join(",")}}`, "**/{node_modules,.venv,venv,.git,target,.local_defs_state}/**", 2000);
  const folders = new Map<string, vscode.Uri>();
  for (const file of files) {
    // A component's folder sits in its defs folder: offer the parents, where new instances go.
    const parent = vscode.Uri.file(path.dirname(path.dirname(file.fsPath)));
    folders.set(parent.fsPath, parent);
  }
  return [...folders.values()].sort((a, b) => a.fsPath.localeCompare(b.fsPath));
}

async function pickParentFolder(): Promise<vscode.Uri | undefined> {
  const candidates = await defsFolders();
  const items: (vscode.QuickPickItem & { uri?: vscode.Uri })[] = candidates.map((uri) => ({
    label: vscode.workspace.asRelativePath(uri, false),
    description: "beside the component folders there",
    uri,
  }));
  items.push({ label: "$(folder-opened) Browse…", description: "choose any folder" });
  const pick = await vscode.window.showQuickPick(items, { title: "New component instance: where?", placeHolder: "The folder to create the instance's folder in" });
  if (!pick) return undefined;
  if (pick.uri) return pick.uri;
  const chosen = await vscode.window.showOpenDialog({ canSelectFiles: false, canSelectFolders: true, canSelectMany: false, openLabel: "Create it here" });
  return chosen?.[0];
}

async function askParams(steps: Step[], title: string): Promise<Record<string, unknown> | undefined> {
  const params: Record<string, unknown> = {};
  for (const step of steps) {
    if (step.kind === "choice") {
      const options = step.options.map((label, i) => ({ label, value: step.values[i] }));
      const items = step.required ? options : [{ label: "(leave out)", value: undefined }, ...options];
      const pick = await vscode.window.showQuickPick(items, { title, placeHolder: step.prompt });
      if (!pick) return undefined;
      if (pick.value !== undefined) params[step.name] = pick.value;
      continue;
    }
    let answer: ReturnType<typeof parseAnswer> | undefined;
    const raw = await vscode.window.showInputBox({
      title,
      prompt: step.prompt,
      placeHolder: step.placeholder,
      validateInput: (text) => {
        answer = parseAnswer(step, text);
        return "error" in answer ? answer.error : undefined;
      },
    });
    if (raw === undefined) return undefined;
    answer = parseAnswer(step, raw);
    if ("value" in answer) params[step.name] = answer.value;
  }
  return params;
}

async function newInstance(server: ServerManager, clicked?: vscode.Uri): Promise<void> {
  const list = await components(server);
  if (!list) return;
  const pick = await vscode.window.showQuickPick(componentPicks(list), { title: "New component instance: which type?", matchOnDescription: true, matchOnDetail: true });
  if (!pick) return;
  const parent = clicked ?? (await pickParentFolder());
  if (!parent) return;
  const name = await vscode.window.showInputBox({
    title: `New ${pick.component.key}`,
    prompt: `The new folder, inside ${vscode.workspace.asRelativePath(parent, false)}`,
    value: defaultFolderName(pick.component.key),
    validateInput: validateFolderPath,
  });
  if (!name) return;
  const params = await askParams(paramSteps(pick.component.scaffold_params_schema), `New ${pick.component.key}: scaffold parameters`);
  if (!params) return;
  const folder = vscode.Uri.file(path.join(parent.fsPath, name.trim()));
  try {
    const result = await server.client?.sendRequest<{ applied: boolean; files: string[] } | null>("workspace/executeCommand", {
      command: Server.scaffold,
      arguments: [{ type: pick.component.key, folder: folder.toString(), params }],
    });
    const defs = result?.files.find((f) => COMPONENT_FILE_NAMES.includes(path.basename(f)));
    if (result?.applied && defs) {
      const document = await vscode.workspace.openTextDocument(vscode.Uri.file(defs));
      await document.save();
      await vscode.window.showTextDocument(document);
    }
  } catch (error) {
    void vscode.window.showErrorMessage(`Scaffolding ${pick.component.key} failed: ${String(error)}`);
  }
}
