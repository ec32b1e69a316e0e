/** "Create the project's environment": offered when a project has no interpreter with Dagster; runs the plan (environmentPlan.ts) with progress, then restarts the server on the new interpreter. */

import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import { ServerManager } from "./client";
import { CONFIG_SECTION, Commands, ENVIRONMENT_CHANNEL } from "./constants";
import { commandLine, environmentPlan, interpreterUpdate, Step, venvPython } from "./environmentPlan";
import { isInside } from "./interpreter";
import { ServerStatus } from "./protocol";
import { findInterpreter, projectRoots, which } from "./python";
import { isEnvironmentNotSetUp, StatusBoard } from "./statusModel";

const CREATE = "Create the project's environment";

type Outcome = { ok: true } | { ok: false; cancelled: boolean; why: string };

export class EnvironmentCreator implements vscode.Disposable {
  private readonly channel = vscode.window.createOutputChannel(ENVIRONMENT_CHANNEL);
  /** Project URIs offered the command this session: the offer comes once per project. */
  private readonly offered = new Set<string>();
  private running = false;
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly server: ServerManager,
    private readonly board: StatusBoard,
  ) {
    this.subscriptions = [
      vscode.commands.registerCommand(Commands.createEnvironment, (project?: string | vscode.Uri) => this.create(project)),
      server.onDidReceiveStatus((status) => this.offer(status)),
    ];
  }

  dispose(): void {
    this.subscriptions.forEach((d) => d.dispose());
    this.channel.dispose();
  }

  private offer(status: ServerStatus): void {
    const project = status.project;
    if (!project || !isEnvironmentNotSetUp(status) || this.offered.has(project) || this.running || !vscode.workspace.isTrusted) {
      return;
    }
    this.offered.add(project);
    const name = path.basename(vscode.Uri.parse(project).fsPath);
    const interpreter = status.interpreter ? ` (${status.interpreter} has no Dagster)` : "";
    void vscode.window
      .showWarningMessage(
        `This project's environment is not set up: ${name} has no interpreter with Dagster${interpreter}, so completion and checks know only Dagster's built-in component types.`,
        CREATE,
        "Not now",
      )
      .then((choice) => {
        if (choice === CREATE) void this.create(project);
      });
  }

  /** `project`: the project's URI (from the status) or folder; else the active file's project, else one to pick. */
  async create(project?: string | vscode.Uri): Promise<void> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage("Creating the project's environment runs its build: trust the workspace first.");
      return;
    }
    if (this.running) {
      void vscode.window.showInformationMessage("The project's environment is being created already.");
      return;
    }
    const root = project ? (typeof project === "string" ? vscode.Uri.parse(project) : project).fsPath : await this.pickProject();
    if (!root) {
      return;
    }
    const steps = environmentPlan({
      root,
      hasUvLock: fs.existsSync(path.join(root, "uv.lock")),
      hasVenv: fs.existsSync(venvPython(root)),
      uv: which("uv"),
      python: which("python3") ?? "python3",
      serverWheel: this.server.serverWheelForNewEnvironment(),
    });
    this.running = true;
    try {
      this.channel.appendLine(`Creating the environment of ${root}`);
      const outcome = await this.run(steps, root);
      if (!outcome.ok) {
        this.channel.appendLine(outcome.why);
        const show = outcome.cancelled
          ? vscode.window.showWarningMessage(`${outcome.why}; ${path.join(root, ".venv")} may be half made.`, "Show log")
          : vscode.window.showErrorMessage(`Creating the project's environment failed: ${outcome.why}.`, "Show log");
        void show.then((choice) => choice && this.channel.show());
        return;
      }
      await this.useInterpreter(venvPython(root));
    } finally {
      this.running = false;
    }
  }

  /** The active file's project, else the one whose environment is missing, else the only one, else a pick. */
  private async pickProject(): Promise<string | undefined> {
    const roots = await projectRoots();
    const active = vscode.window.activeTextEditor?.document.uri;
    const holding = active?.scheme === "file" ? roots.find((root) => isInside(active.fsPath, [root])) : undefined;
    if (holding) {
      return holding;
    }
    const missing = this.board.projectsWithoutEnvironment().map((uri) => vscode.Uri.parse(uri).fsPath);
    const candidates = missing.length > 0 ? missing : roots;
    if (candidates.length === 0) {
      void vscode.window.showInformationMessage("No dg project here: a pyproject.toml with [tool.dg] and directory_type = \"project\".");
      return undefined;
    }
    if (candidates.length === 1) {
      return candidates[0];
    }
    const pick = await vscode.window.showQuickPick(
      candidates.map((root) => ({ label: vscode.workspace.asRelativePath(root, true), root })),
      { title: CREATE, placeHolder: "Which dg project?" },
    );
    return pick?.root;
  }

  /** Each step in turn in the project folder, output in the channel; cancelling kills the running one. */
  private run(steps: Step[], root: string): Promise<Outcome> {
    return Promise.resolve(
      vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: CREATE, cancellable: true }, async (progress, token) => {
        for (const step of steps) {
          progress.report({ message: step.title });
          const outcome = await this.runStep(step, root, token, (line) => progress.report({ message: `${step.title}: ${line.slice(0, 80)}` }));
          if (!outcome.ok) {
            return outcome;
          }
          progress.report({ increment: 100 / steps.length });
        }
        return { ok: true } as const;
      }),
    );
  }

  private runStep(step: Step, root: string, token: vscode.CancellationToken, onLine: (line: string) => void): Promise<Outcome> {
    this.channel.appendLine(`$ ${commandLine(step)}`);
    // The project's own .venv, not one VS Code was started from.
    const env: NodeJS.ProcessEnv = { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: "1" };
    delete env.VIRTUAL_ENV;
    return new Promise((resolve) => {
      if (token.isCancellationRequested) {
        resolve({ ok: false, cancelled: true, why: "Cancelled" });
        return;
      }
      const child = spawn(step.command, step.args, { cwd: root, env });
      const cancel = token.onCancellationRequested(() => child.kill());
      const onOutput = (chunk: Buffer) => {
        const text = chunk.toString("utf8");
        this.channel.append(text);
        const last = text.split("\n").filter((l) => l.trim()).pop();
        if (last) onLine(last.trim());
      };
      child.stdout.on("data", onOutput);
      child.stderr.on("data", onOutput);
      // A command that cannot start (not found) fires "error", and maybe "close" after it: the first wins.
      child.on("error", (error) => {
        cancel.dispose();
        resolve({ ok: false, cancelled: false, why: `\`${commandLine(step)}\` could not run: ${error.message}` });
      });
      child.on("close", (code, signal) => {
        cancel.dispose();
        if (token.isCancellationRequested) {
          resolve({ ok: false, cancelled: true, why: `Cancelled during \`${step.title}\`` });
        } else {
          resolve(code === 0 ? { ok: true } : { ok: false, cancelled: false, why: `\`${commandLine(step)}\` exited with ${code ?? signal}` });
        }
      });
    });
  }

  /** Restart on `created`: directly when the extension picks it on its own, else by naming it in the setting. */
  private async useInterpreter(created: string): Promise<void> {
    if (!fs.existsSync(created)) {
      this.channel.appendLine(`The commands succeeded, but ${created} does not exist.`);
      void vscode.window.showErrorMessage(`The project's environment was made, but not at ${created}: set dagsterComponents.python to its interpreter.`, "Show log").then((c) => c && this.channel.show());
      return;
    }
    const folder = vscode.workspace.workspaceFolders?.[0];
    const { setting } = interpreterUpdate((await findInterpreter()).path, created, folder?.uri.fsPath);
    this.channel.appendLine(`Created ${created}`);
    void vscode.window.showInformationMessage(`Created the project's environment: the server restarts on ${created}.`);
    if (setting && folder) {
      // The configuration listener (extension.ts) restarts the server.
      this.channel.appendLine(`Setting ${CONFIG_SECTION}.python to ${setting}`);
      await vscode.workspace.getConfiguration(CONFIG_SECTION, folder.uri).update("python", setting, vscode.ConfigurationTarget.WorkspaceFolder);
      return;
    }
    await this.server.restart("the project's environment was created");
  }
}
