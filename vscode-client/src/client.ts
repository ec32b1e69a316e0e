/** Starts, stops and restarts the language server; wires its notifications to the status bar and the lineage panel. */

import * as vscode from "vscode";
import { LanguageClient, LanguageClientOptions, ServerOptions, State, TransportKind } from "vscode-languageclient/node";
import { CLIENT_ID, COMPONENT_FILE_NAMES, CONFIG_SECTION, LANGUAGE_ID, Server, SERVER_PACKAGE } from "./constants";
import { Interpreter, needsOwnServerEnvironment, ServerCommand, serverCommand, untrustedRunner } from "./interpreter";
import { LineagePanel } from "./lineage/panel";
import { ServerStatus } from "./protocol";
import { bundledWheel, ensureOwnServerEnvironment, findInterpreter, installServer, probeServerPackage } from "./python";
import { shouldDropSyntaxErrors } from "./redHat";
import { StatusBar } from "./status";
import { withoutSyntaxErrors } from "./yamlCoexistence";

/** The server runs as `<python> -m dagster_components_ls`, from the project's interpreter (no custom `server.path`). */
const runsFromInterpreter = (command: ServerCommand) => command.args[0] === "-m" && command.args[1] === SERVER_PACKAGE;

export class ServerManager implements vscode.Disposable {
  client: LanguageClient | undefined;
  interpreter: Interpreter | undefined;
  private starting: Promise<void> | undefined;
  /** Listeners on the current client, dropped with it. */
  private clientSubscriptions: vscode.Disposable[] = [];
  private readonly statuses = new vscode.EventEmitter<ServerStatus>();
  /** Every `dagster/status` notification, after the status bar has taken it. */
  readonly onDidReceiveStatus = this.statuses.event;

  constructor(
    private readonly context: vscode.ExtensionContext,
    readonly log: vscode.LogOutputChannel,
    private readonly status: StatusBar,
  ) {}

  dispose(): void {
    this.statuses.dispose();
    void this.stop();
  }

  /** Start once: a running server is left alone, concurrent callers share one start. */
  start(): Promise<void> {
    if (this.client && this.client.state !== State.Stopped) {
      return Promise.resolve();
    }
    this.starting ??= this.doStart().finally(() => (this.starting = undefined));
    return this.starting;
  }

  async restart(reason: string): Promise<void> {
    this.log.info(`Restarting the server: ${reason}`);
    await this.starting;
    await this.stop();
    await this.start();
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.clientSubscriptions.forEach((d) => d.dispose());
    this.clientSubscriptions = [];
    if (client) {
      try {
        await client.stop(5000);
      } catch (error) {
        this.log.warn(`Stopping the server: ${String(error)}`);
      }
      await client.dispose();
    }
  }

  private async doStart(): Promise<void> {
    this.status.board.serverStarting();
    this.interpreter = await findInterpreter();
    this.status.board.setInterpreter(this.interpreter.path);
    this.status.refresh();
    this.log.info(`Interpreter: ${this.interpreter.path} (from ${this.interpreter.source})`);
    const command = await this.serverCommand(this.interpreter.path);
    if (!command) {
      return;
    }
    const serverOptions: ServerOptions = { command: command.command, args: command.args, transport: TransportKind.stdio };
    const client = new LanguageClient(CLIENT_ID, "Dagster Components", serverOptions, this.clientOptions());
    this.clientSubscriptions.push(
      client.onDidChangeState((event) => {
        if (event.newState === State.Stopped) {
          this.status.board.serverStopped("The server stopped; see the log.");
          this.status.refresh();
        }
      }),
    );
    // Registered before start: the first statuses come right after `initialized`.
    client.onNotification(Server.status, (status: ServerStatus) => {
      this.status.board.update(status);
      this.status.refresh();
      if (status.subject === "lineage") {
        LineagePanel.onLineageStatus();
      }
      this.statuses.fire(status);
    });
    this.log.info(`Starting: ${command.command} ${command.args.join(" ")}`);
    try {
      await client.start();
    } catch (error) {
      this.log.error(`The server did not start: ${String(error)}`);
      this.status.board.serverStopped(String(error));
      this.status.refresh();
      void vscode.window.showErrorMessage(`The Dagster Components server did not start: ${String(error)}`, "Show Log").then((choice) => {
        if (choice) this.log.show();
      });
      return;
    }
    this.client = client;
    this.status.board.serverRunning();
    this.status.refresh();
  }

  /** The bundled wheel to install into a new project environment along with the project, so that the server
   *  restarts there without asking to install itself; undefined when `server.path` runs it from elsewhere. */
  serverWheelForNewEnvironment(): string | undefined {
    const custom = vscode.workspace.getConfiguration(CONFIG_SECTION).get<string[] | string>("server.path");
    return runsFromInterpreter(serverCommand(custom, "python")) ? bundledWheel(this.context.extensionPath) : undefined;
  }

  /** How to run the server, or undefined (and the status says why) when it cannot run. */
  private async serverCommand(python: string): Promise<ServerCommand | undefined> {
    const custom = vscode.workspace.getConfiguration(CONFIG_SECTION).get<string[] | string>("server.path");
    const command = serverCommand(custom, python);
    if (!vscode.workspace.isTrusted) {
      // Never run the workspace's own interpreter: its .pth files could run anything. Try one from outside.
      const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
      const runner = untrustedRunner(command, folders) ?? untrustedRunner(serverCommand(custom, "python3"), folders);
      const installed = runner && (!runsFromInterpreter(runner) || (await probeServerPackage(runner.command)).version !== undefined);
      if (!runner || !installed) {
        const why = `The workspace is not trusted, and the server would have to run ${python} from it. Trust the workspace to start the server.`;
        this.log.info(why);
        this.status.board.serverUntrusted(why);
        this.status.refresh();
        return undefined;
      }
      this.log.info(`Untrusted workspace: the server runs from ${runner.command} and never starts the project's interpreter`);
      return runner;
    }
    const own = await this.ownServerEnvironment(python, command);
    if (own) {
      this.log.info(`No project interpreter, and ${python} has no server: the server runs from the extension's own environment, ${own}`);
      return serverCommand(custom, own);
    }
    if (runsFromInterpreter(command) && !(await this.ensureServerInstalled(python))) {
      this.status.board.serverStopped(`dagster-components-ls is not installed in ${python}.`);
      this.status.refresh();
      return undefined;
    }
    return command;
  }

  private clientOptions(): LanguageClientOptions {
    const config = vscode.workspace.getConfiguration(CONFIG_SECTION);
    return {
      documentSelector: [
        { scheme: "file", language: LANGUAGE_ID },
        { scheme: "file", pattern: `**/{${COMPONENT_FILE_NAMES.join(",")}}` },
        { scheme: "file", pattern: "**/pyproject.toml" },
      ],
      outputChannel: this.log,
      traceOutputChannel: this.log,
      initializationOptions: {
        python: this.interpreter?.path,
        lineage: { enabled: config.get<boolean>("lineage.enabled", true) },
        diagnostics: { workspace: config.get<boolean>("diagnostics.workspace", true) },
        inlayHints: { enabled: config.get<boolean>("inlayHints.enabled", true), showEnvValues: config.get<boolean>("inlayHints.showEnvValues", false) },
        trusted: vscode.workspace.isTrusted,
        trace: { server: config.get<string>("trace.server", "off") },
        // The extension offers "Create the project's environment" itself (environment.ts).
        environment: { create: true },
      },
      middleware: {
        // The code lens command opens the panel here; other editors send it to the server.
        executeCommand: async (command, args, next) => {
          if (command === Server.showLineage) {
            const target = (args[0] ?? {}) as { uri?: string; document?: number };
            if (target.uri) {
              LineagePanel.show(this.context.extensionUri, () => this.client, { uri: vscode.Uri.parse(target.uri), document: target.document });
            }
            return undefined;
          }
          return next(command, args);
        },
        handleDiagnostics: (uri, diagnostics, next) => {
          next(uri, shouldDropSyntaxErrors() ? diagnostics.filter((d) => d.code !== "yaml-syntax") : diagnostics);
        },
        // The server pulls with a VS Code that can be asked to pull again (the same filter, pulled).
        provideDiagnostics: async (document, previousResultId, token, next) => {
          const report = await next(document, previousResultId, token);
          return report && shouldDropSyntaxErrors() ? withoutSyntaxErrors(report) : report;
        },
        provideWorkspaceDiagnostics: async (resultIds, token, resultReporter, next) => {
          const drop = shouldDropSyntaxErrors();
          const report = await next(resultIds, token, (chunk) =>
            resultReporter(chunk && drop ? { items: chunk.items.map(withoutSyntaxErrors) } : chunk),
          );
          return report && drop ? { items: report.items.map(withoutSyntaxErrors) } : report;
        },
      },
    };
  }

  /** With no project interpreter (only `python3` on PATH, without our server), the interpreter of the
   *  extension's own server environment, made now if needed; undefined otherwise. The project's interpreter
   *  is still `python` for the server, which then reports the environment as not set up. */
  private async ownServerEnvironment(python: string, command: ServerCommand): Promise<string | undefined> {
    const wheel = bundledWheel(this.context.extensionPath);
    if (!this.interpreter || !wheel || this.interpreter.source !== "PATH" || !runsFromInterpreter(command)) {
      return undefined;
    }
    const probe = await probeServerPackage(python);
    if (probe.error || !needsOwnServerEnvironment(this.interpreter, command, probe.version !== undefined)) {
      return undefined;
    }
    const version = String(this.context.extension.packageJSON.version ?? "0");
    return ensureOwnServerEnvironment(this.context.globalStorageUri.fsPath, version, wheel, python, this.log);
  }

  /** True when the server can run from `python`: installed already, or installed now from the bundled wheel. */
  private async ensureServerInstalled(python: string): Promise<boolean> {
    const probe = await probeServerPackage(python);
    if (probe.error) {
      this.log.error(`Cannot run ${python}: ${probe.error}`);
      const choice = await vscode.window.showErrorMessage(
        `Dagster Components cannot run the interpreter ${python}. Choose the project's interpreter in the setting dagsterComponents.python.`,
        "Open Settings",
        "Show Log",
      );
      if (choice === "Open Settings") void vscode.commands.executeCommand("workbench.action.openSettings", `${CONFIG_SECTION}.python`);
      if (choice === "Show Log") this.log.show();
      return false;
    }
    if (probe.version) {
      this.log.info(`dagster-components-ls ${probe.version} is installed in ${python}`);
      return true;
    }
    const wheel = bundledWheel(this.context.extensionPath);
    const actions = [...(wheel ? ["Install"] : []), "Use a Server Command", "Show Log"];
    const choice = await vscode.window.showWarningMessage(
      `The Dagster Components language server is not installed in ${python}. Install it there${wheel ? " from the copy bundled with this extension (its dependencies come from your package index)" : ""}?`,
      ...actions,
    );
    if (choice === "Install" && wheel) {
      const ok = await installServer(python, wheel, probe.hasPip, this.log);
      if (!ok) {
        void vscode.window.showErrorMessage("Installing the language server failed; see the log.", "Show Log").then((c) => c && this.log.show());
      }
      return ok && (await probeServerPackage(python)).version !== undefined;
    }
    if (choice === "Use a Server Command") {
      void vscode.commands.executeCommand("workbench.action.openSettings", `${CONFIG_SECTION}.server.path`);
    } else if (choice === "Show Log") {
      this.log.show();
    }
    return false;
  }
}
