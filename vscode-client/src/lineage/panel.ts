/** The lineage panel: a webview beside the editor drawing `dagster/lineage` for the active component file. */

import * as crypto from "node:crypto";
import * as vscode from "vscode";
import { LanguageClient } from "vscode-languageclient/node";
import { COMPONENT_FILE_NAMES, Server } from "../constants";
import { LineageResult, Location } from "../protocol";
import { GraphLayout, layoutLineage } from "./layout";

export interface LineageTarget {
  uri: vscode.Uri;
  /** 0-based document index in the file; undefined: every document. */
  document: number | undefined;
}

/** Messages to the webview script (src/webview/main.ts). */
export type ToWebview =
  | { type: "loading"; title: string }
  | { type: "render"; title: string; layout: GraphLayout; stale: boolean; errors: { message: string; index: number }[]; depth: number };

/** Messages from the webview script. */
export type FromWebview =
  | { type: "ready" }
  | { type: "open"; key: string }
  | { type: "openError"; index: number }
  | { type: "depth"; depth: number };

export function isComponentFile(uri: vscode.Uri): boolean {
  return uri.scheme === "file" && COMPONENT_FILE_NAMES.some((name) => uri.path.endsWith(`/${name}`));
}

export class LineagePanel implements vscode.Disposable {
  private static current: LineagePanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private depth = 1;
  private result: LineageResult | undefined;
  private requestSeq = 0;

  static show(extensionUri: vscode.Uri, client: () => LanguageClient | undefined, target: LineageTarget): void {
    if (LineagePanel.current) {
      LineagePanel.current.target = target;
      LineagePanel.current.panel.reveal(vscode.ViewColumn.Beside, true);
      void LineagePanel.current.refresh();
      return;
    }
    const panel = vscode.window.createWebviewPanel("dagsterComponents.lineage", "Lineage", { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, {
      enableScripts: true,
      retainContextWhenHidden: true,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, "dist"), vscode.Uri.joinPath(extensionUri, "media")],
    });
    LineagePanel.current = new LineagePanel(panel, extensionUri, client, target);
  }

  /** Called when the server says a lineage load finished (or started): redraw whatever is shown. */
  static onLineageStatus(): void {
    void LineagePanel.current?.refresh();
  }

  static disposeCurrent(): void {
    LineagePanel.current?.dispose();
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly extensionUri: vscode.Uri,
    private readonly client: () => LanguageClient | undefined,
    private target: LineageTarget,
  ) {
    panel.webview.html = this.html();
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((message: FromWebview) => this.onMessage(message)),
      vscode.window.onDidChangeActiveTextEditor((editor) => {
        if (editor && isComponentFile(editor.document.uri) && editor.document.uri.toString() !== this.target.uri.toString()) {
          this.target = { uri: editor.document.uri, document: undefined };
          void this.refresh();
        }
      }),
      vscode.workspace.onDidSaveTextDocument(() => void this.refresh()),
    );
  }

  dispose(): void {
    if (LineagePanel.current === this) {
      LineagePanel.current = undefined;
    }
    this.panel.dispose();
    this.disposables.forEach((d) => d.dispose());
  }

  private title(): string {
    const parts = this.target.uri.path.split("/");
    const name = parts.slice(-2).join("/");
    return this.target.document === undefined ? name : `${name} · document ${this.target.document + 1}`;
  }

  private post(message: ToWebview): void {
    void this.panel.webview.postMessage(message);
  }

  async refresh(): Promise<void> {
    const client = this.client();
    this.panel.title = `Lineage: ${this.target.uri.path.split("/").slice(-2, -1)[0] ?? ""}`;
    if (!client || !client.isRunning()) {
      this.render({ assets: [], edges: [], errors: [{ message: "The language server is not running", uri: null, range: null }], stale: false });
      return;
    }
    const seq = ++this.requestSeq;
    if (!this.result) {
      this.post({ type: "loading", title: this.title() });
    }
    try {
      const result = await client.sendRequest<LineageResult>(Server.lineage, {
        textDocument: { uri: this.target.uri.toString() },
        document: this.target.document,
        depth: this.depth,
      });
      if (seq === this.requestSeq) {
        this.render(result);
      }
    } catch (error) {
      if (seq === this.requestSeq) {
        this.render({ assets: [], edges: [], errors: [{ message: `dagster/lineage failed: ${String(error)}`, uri: null, range: null }], stale: false });
      }
    }
  }

  private render(result: LineageResult): void {
    this.result = result;
    this.post({
      type: "render",
      title: this.title(),
      layout: layoutLineage(result),
      stale: result.stale,
      errors: result.errors.map((e, index) => ({ message: e.message, index })),
      depth: this.depth,
    });
  }

  private onMessage(message: FromWebview): void {
    switch (message.type) {
      case "ready":
        if (this.result) {
          this.render(this.result);
        }
        void this.refresh();
        break;
      case "open": {
        const asset = this.result?.assets.find((a) => a.key === message.key);
        if (asset?.location) {
          void openLocation(asset.location);
        } else {
          void vscode.window.showInformationMessage(`${message.key} is not produced by a file in this workspace.`);
        }
        break;
      }
      case "openError": {
        const error = this.result?.errors[message.index];
        if (error?.uri) {
          void openLocation({ uri: error.uri, range: error.range ?? { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } });
        }
        break;
      }
      case "depth":
        this.depth = Math.max(1, Math.min(10, message.depth));
        void this.refresh();
        break;
    }
  }

  private html(): string {
    const webview = this.panel.webview;
    const nonce = crypto.randomBytes(16).toString("base64");
    const script = webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, "dist", "webview.js"));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, "media", "lineage.css"));
    const csp = [`default-src 'none'`, `style-src ${webview.cspSource}`, `img-src ${webview.cspSource}`, `font-src ${webview.cspSource}`, `script-src 'nonce-${nonce}'`].join("; ");
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style}">
<title>Lineage</title>
</head>
<body>
<header id="bar">
  <span id="title"></span>
  <span id="badge" hidden></span>
  <span class="legend"><span class="swatch produced"></span>produced <span class="swatch upstream"></span>upstream <span class="swatch downstream"></span>downstream</span>
  <span class="tools">
    <label>Depth <select id="depth"><option>1</option><option>2</option><option>3</option><option>5</option><option>10</option></select></label>
    <button id="fit" title="Fit the graph to the panel">Fit</button>
  </span>
</header>
<ul id="errors"></ul>
<div id="message"></div>
<svg id="graph" role="img" aria-label="Asset lineage"></svg>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
  }
}

export async function openLocation(location: Location): Promise<void> {
  const uri = vscode.Uri.parse(location.uri);
  const { start, end } = location.range;
  const selection = new vscode.Range(start.line, start.character, end.line, end.character);
  await vscode.window.showTextDocument(uri, { selection, viewColumn: vscode.ViewColumn.One, preserveFocus: false });
}
