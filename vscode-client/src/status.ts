/** The status bar item: project, interpreter and state (model in statusModel.ts). */

import * as vscode from "vscode";
import { Commands } from "./constants";
import { StatusBoard } from "./statusModel";

export class StatusBar implements vscode.Disposable {
  readonly board = new StatusBoard();
  private readonly item = vscode.window.createStatusBarItem("dagsterComponents.status", vscode.StatusBarAlignment.Left, 50);
  private readonly subscription = vscode.window.onDidChangeActiveTextEditor(() => this.refresh());

  constructor() {
    this.item.name = "Dagster Components";
    this.refresh();
    this.item.show();
  }

  refresh(): void {
    const view = this.board.render(vscode.window.activeTextEditor?.document.uri.toString());
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.command =
      view.click === "environment"
        ? { command: Commands.createEnvironment, title: "Create the project's environment", arguments: [view.project] }
        : view.click === "log"
          ? Commands.showLog
          : Commands.listComponents;
    this.item.backgroundColor =
      view.kind === "error" || view.kind === "stopped"
        ? new vscode.ThemeColor("statusBarItem.errorBackground")
        : view.kind === "untrusted" || view.kind === "unset"
          ? new vscode.ThemeColor("statusBarItem.warningBackground")
          : undefined;
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
