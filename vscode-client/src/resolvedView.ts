/** Dagster: Show Resolved YAML: a read-only view of a component file after Dagster's templating, beside it, following edits. */

import * as path from "node:path";
import * as vscode from "vscode";
import { ServerManager } from "./client";
import { Server } from "./constants";
import { isComponentFile } from "./lineage/panel";
import { ResolvedAnswer, resolvedText } from "./resolvedText";

export const RESOLVED_SCHEME = "dagster-resolved";
const REFRESH_MS = 300;

/** Serves `dagster-resolved:/<file>?<source uri>`, asking the server again when the source changes. */
export class ResolvedYamlProvider implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly shown = new Map<string, vscode.Uri>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly listeners: vscode.Disposable[];

  constructor(private readonly server: ServerManager) {
    // A view is forgotten once it is no longer open (not on its close event: setting its language closes
    // it and opens it again).
    this.listeners = [vscode.workspace.onDidChangeTextDocument((event) => this.sourceChanged(event.document.uri))];
  }

  static viewOf(source: vscode.Uri): vscode.Uri {
    return vscode.Uri.from({ scheme: RESOLVED_SCHEME, path: `/${path.basename(source.fsPath)} (resolved)`, query: source.toString() });
  }

  async show(source: vscode.Uri): Promise<void> {
    const view = ResolvedYamlProvider.viewOf(source);
    this.shown.set(source.toString(), view);
    const doc = await vscode.languages.setTextDocumentLanguage(await vscode.workspace.openTextDocument(view), "yaml");
    await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, preview: false, preserveFocus: true });
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const source = vscode.Uri.parse(uri.query);
    const client = this.server.client;
    if (!client) return "# The Dagster Components server is not running.\n";
    try {
      const answer = await client.sendRequest<ResolvedAnswer>(Server.resolved, { textDocument: { uri: source.toString() } });
      return resolvedText(answer, path.basename(source.fsPath));
    } catch (error) {
      return `# The server could not render this file: ${String(error)}\n`;
    }
  }

  dispose(): void {
    this.listeners.forEach((l) => l.dispose());
    this.timers.forEach((t) => clearTimeout(t));
    this.changed.dispose();
  }

  private sourceChanged(source: vscode.Uri): void {
    const view = this.shown.get(source.toString());
    if (!view) return;
    if (!vscode.workspace.textDocuments.some((doc) => doc.uri.toString() === view.toString())) {
      this.shown.delete(source.toString());
      return;
    }
    clearTimeout(this.timers.get(view.query));
    this.timers.set(view.query, setTimeout(() => this.changed.fire(view), REFRESH_MS));
  }
}

export function showResolved(provider: ResolvedYamlProvider, uri?: vscode.Uri): void {
  const target = uri ?? vscode.window.activeTextEditor?.document.uri;
  if (!target || target.scheme !== "file" || !isComponentFile(target)) {
    void vscode.window.showInformationMessage("Open a defs.yaml to see it resolved.");
    return;
  }
  void provider.show(target);
}
