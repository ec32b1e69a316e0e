/** Finding the project's interpreter (setting, Python extension, project .venv) and installing our server into it. */

import { execFile, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";
import { CONFIG_SECTION, PYTHON_EXTENSION } from "./constants";
import { chooseInterpreter, installCommand, Interpreter, isDgProject, ownEnvironmentPlan, venvCandidates } from "./interpreter";

/** The part of the Python extension's API we use (`ms-python.python` exports `environments`). */
interface PythonEnvironmentsApi {
  environments: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { id: string; path: string };
    resolveEnvironment(env: { id: string; path: string } | string): Promise<{ executable: { uri?: vscode.Uri } } | undefined>;
    onDidChangeActiveEnvironmentPath: vscode.Event<unknown>;
  };
}

async function pythonExtensionApi(): Promise<PythonEnvironmentsApi | undefined> {
  const extension = vscode.extensions.getExtension<PythonEnvironmentsApi>(PYTHON_EXTENSION);
  if (!extension) {
    return undefined;
  }
  try {
    const api = extension.isActive ? extension.exports : await extension.activate();
    return api?.environments ? api : undefined;
  } catch {
    return undefined;
  }
}

async function activePythonExtensionInterpreter(resource: vscode.Uri | undefined): Promise<string | undefined> {
  const api = await pythonExtensionApi();
  if (!api) {
    return undefined;
  }
  try {
    const active = api.environments.getActiveEnvironmentPath(resource);
    const resolved = await api.environments.resolveEnvironment(active);
    return resolved?.executable.uri?.fsPath ?? active.path;
  } catch {
    return undefined;
  }
}

/** dg project roots in the workspace (folders whose pyproject.toml or dg.toml declares a project), the active file's first. */
export async function projectRoots(): Promise<string[]> {
  const files = await vscode.workspace.findFiles("**/{pyproject.toml,dg.toml}", "**/{node_modules,.venv,venv,.git,site-packages}/**", 200);
  const roots: string[] = [];
  for (const file of files) {
    try {
      const text = Buffer.from(await vscode.workspace.fs.readFile(file)).toString("utf8");
      if (isDgProject(text, path.basename(file.fsPath) === "dg.toml" ? "dg.toml" : "pyproject.toml")) {
        roots.push(path.dirname(file.fsPath));
      }
    } catch {
      // unreadable: not a project we can use
    }
  }
  const active = vscode.window.activeTextEditor?.document.uri.fsPath;
  const containsActive = (root: string) => (active && active.startsWith(root + path.sep) ? 0 : 1);
  return roots.sort((a, b) => containsActive(a) - containsActive(b) || b.length - a.length);
}

export async function findInterpreter(): Promise<Interpreter> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  const setting = vscode.workspace.getConfiguration(CONFIG_SECTION, folder?.uri).get<string>("python");
  const fromExtension = setting?.trim() ? undefined : await activePythonExtensionInterpreter(folder?.uri);
  const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
  const venvs = venvCandidates(await projectRoots(), folders).filter((candidate) => fs.existsSync(candidate));
  return chooseInterpreter({ setting, pythonExtension: fromExtension, projectVenvs: venvs }, folder?.uri.fsPath, os.homedir());
}

/** Fires when the Python extension's active environment changes (nothing when it is not installed). */
export async function onDidChangePythonEnvironment(listener: () => void): Promise<vscode.Disposable | undefined> {
  const api = await pythonExtensionApi();
  return api?.environments.onDidChangeActiveEnvironmentPath(() => listener());
}

export interface ServerPackage {
  /** The installed version of dagster-components-ls, or undefined when it is not installed there. */
  version: string | undefined;
  hasPip: boolean;
  /** Set when the interpreter could not be run at all. */
  error: string | undefined;
}

const PROBE = [
  "import importlib.metadata as m, importlib.util as u, json",
  "try:\n    v = m.version('dagster-components-ls')\nexcept m.PackageNotFoundError:\n    v = None",
  "print(json.dumps({'version': v, 'pip': u.find_spec('pip') is not None}))",
].join("\n");

export function probeServerPackage(python: string): Promise<ServerPackage> {
  return new Promise((resolve) => {
    execFile(python, ["-c", PROBE], { timeout: 30000 }, (error, stdout, stderr) => {
      if (error) {
        resolve({ version: undefined, hasPip: false, error: (stderr || error.message).trim() });
        return;
      }
      try {
        const answer = JSON.parse(stdout.trim().split("\n").pop() ?? "{}");
        resolve({ version: answer.version ?? undefined, hasPip: Boolean(answer.pip), error: undefined });
      } catch {
        resolve({ version: undefined, hasPip: false, error: `unexpected answer from ${python}: ${stdout}` });
      }
    });
  });
}

/** The wheel shipped inside the .vsix (`bundled/`), built by scripts/package.mjs. */
export function bundledWheel(extensionPath: string): string | undefined {
  const folder = path.join(extensionPath, "bundled");
  const wheels = fs.existsSync(folder) ? fs.readdirSync(folder).filter((f) => f.endsWith(".whl")) : [];
  return wheels.length > 0 ? path.join(folder, wheels.sort().pop() as string) : undefined;
}

/** `program`'s path on PATH, or undefined. */
export function which(program: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    const candidate = path.join(dir, program);
    if (dir && fs.existsSync(candidate)) {
      return candidate;
    }
  }
  return undefined;
}

/** Install the bundled wheel into `python` (dependencies from the user's own index), showing progress and logging output. */
export async function installServer(python: string, wheel: string, hasPip: boolean, log: vscode.LogOutputChannel): Promise<boolean> {
  const uvNextToPython = path.join(path.dirname(python), "uv");
  const command = installCommand(python, wheel, hasPip, fs.existsSync(uvNextToPython) ? uvNextToPython : which("uv"));
  if (!command) {
    void vscode.window.showErrorMessage(`${python} has no pip, and uv is not on PATH: install dagster-components-ls there by hand.`);
    return false;
  }
  log.info(`Installing the language server: ${command.command} ${command.args.join(" ")}`);
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: "Installing the Dagster Components language server", cancellable: true },
    (progress, token) =>
      new Promise<boolean>((resolve) => {
        const child = spawn(command.command, command.args, { env: { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: "1" } });
        token.onCancellationRequested(() => child.kill());
        const onOutput = (chunk: Buffer) => {
          for (const line of chunk.toString("utf8").split("\n").filter((l) => l.trim())) {
            log.info(line);
            progress.report({ message: line.slice(0, 80) });
          }
        };
        child.stdout.on("data", onOutput);
        child.stderr.on("data", onOutput);
        child.on("error", (error) => {
          log.error(`Install failed: ${error.message}`);
          resolve(false);
        });
        child.on("close", (code) => {
          log.info(`Install finished with exit code ${code}`);
          resolve(code === 0);
        });
      }),
  );
}

/** The extension's own environment for the server (`<globalStorage>/server-<version>`), made on first need
 *  from `python` with the bundled wheel (uv when it is on PATH, else venv and pip) and reused after; a partial
 *  one (no server in it) is made again. Its interpreter, or undefined when it could not be made. */
export async function ensureOwnServerEnvironment(
  storage: string,
  version: string,
  wheel: string,
  python: string,
  log: vscode.LogOutputChannel,
): Promise<string | undefined> {
  const dir = path.join(storage, `server-${version}`);
  const venvPython = path.join(dir, "bin", "python");
  if (fs.existsSync(venvPython) && (await probeServerPackage(venvPython)).version !== undefined) {
    return venvPython;
  }
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(storage, { recursive: true });
  const steps = ownEnvironmentPlan(dir, wheel, which("uv"), python);
  const title = "Setting up the Dagster Components language server (once)";
  const ok = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title }, async (progress) => {
    for (const step of steps) {
      log.info(`${step.command} ${step.args.join(" ")}`);
      progress.report({ message: path.basename(step.command) + " " + step.args[0] });
      const code = await new Promise<number | null>((resolve) => {
        const child = spawn(step.command, step.args, { env: { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: "1" } });
        const onOutput = (chunk: Buffer) => chunk.toString("utf8").split("\n").filter((l) => l.trim()).forEach((l) => log.info(l));
        child.stdout.on("data", onOutput);
        child.stderr.on("data", onOutput);
        child.on("error", (error) => {
          log.error(error.message);
          resolve(null);
        });
        child.on("close", resolve);
      });
      if (code !== 0) {
        log.error(`${step.command} exited with ${code}`);
        return false;
      }
    }
    return true;
  });
  return ok && (await probeServerPackage(venvPython)).version !== undefined ? venvPython : undefined;
}
