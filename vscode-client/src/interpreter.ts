/** Which interpreter and which server command to use: pure decisions, no VS Code, no I/O. */

import * as path from "node:path";

export type InterpreterSource = "setting" | "python-extension" | "project-venv" | "PATH";

export interface Interpreter {
  path: string;
  source: InterpreterSource;
}

export interface InterpreterCandidates {
  /** `dagsterComponents.python`, as written (may hold `${workspaceFolder}` or `~`). */
  setting: string | undefined;
  /** The Python extension's active environment, when that extension is installed and has one. */
  pythonExtension: string | undefined;
  /** `.venv/bin/python` of the project folders that exist on disk, nearest first. */
  projectVenvs: string[];
}

/** Microsoft's Python-tools order: our setting, then the Python extension, then the project's `.venv`, then PATH. */
export function chooseInterpreter(candidates: InterpreterCandidates, workspaceFolder: string | undefined, home: string): Interpreter {
  const setting = candidates.setting?.trim();
  if (setting) {
    return { path: expandPath(setting, workspaceFolder, home), source: "setting" };
  }
  if (candidates.pythonExtension) {
    return { path: candidates.pythonExtension, source: "python-extension" };
  }
  if (candidates.projectVenvs.length > 0) {
    return { path: candidates.projectVenvs[0], source: "project-venv" };
  }
  return { path: "python3", source: "PATH" };
}

/** `${workspaceFolder}/x`, `~/x` and relative paths (to the workspace folder) made absolute. */
export function expandPath(value: string, workspaceFolder: string | undefined, home: string): string {
  let expanded = value.replace(/\$\{workspaceFolder\}/g, workspaceFolder ?? "");
  if (expanded === "~" || expanded.startsWith("~/")) {
    expanded = path.join(home, expanded.slice(1));
  }
  const bare = !expanded.includes("/") && !expanded.includes(path.sep);
  if (!path.isAbsolute(expanded) && !bare && workspaceFolder) {
    expanded = path.join(workspaceFolder, expanded);
  }
  return expanded;
}

/** The venv interpreters to look for, nearest first: each dg project root, then each workspace folder. */
export function venvCandidates(projectRoots: string[], workspaceFolders: string[]): string[] {
  const seen = new Set<string>();
  const result: string[] = [];
  for (const root of [...projectRoots, ...workspaceFolders]) {
    for (const venv of [".venv", "venv"]) {
      const candidate = path.join(root, venv, "bin", "python");
      if (!seen.has(candidate)) {
        seen.add(candidate);
        result.push(candidate);
      }
    }
  }
  return result;
}

export interface ServerCommand {
  command: string;
  args: string[];
}

/** `dagsterComponents.server.path` when set, else the server installed in the interpreter. */
export function serverCommand(serverPath: string[] | string | undefined, python: string): ServerCommand {
  const custom = typeof serverPath === "string" ? (serverPath.trim() ? [serverPath.trim()] : []) : (serverPath ?? []).filter((p) => p.trim());
  if (custom.length > 0) {
    return { command: custom[0], args: custom.slice(1) };
  }
  return { command: python, args: ["-m", "dagster_components_ls", "serve"] };
}

/** The install command for the bundled wheel: uv when the venv has no pip (uv-made venvs), else pip. */
export function installCommand(python: string, wheel: string, hasPip: boolean, uv: string | undefined): ServerCommand | undefined {
  if (hasPip) {
    return { command: python, args: ["-m", "pip", "install", "--upgrade", wheel] };
  }
  if (uv) {
    return { command: uv, args: ["pip", "install", "--python", python, "--upgrade", wheel] };
  }
  return undefined;
}

/** Whether the server should run from the extension's own environment: no project interpreter was found
 *  (the `python3` on PATH is all there is), no `server.path` runs it elsewhere, and that interpreter lacks
 *  the server. Installing into a system Python is what "no setup" must not ask for. */
export function needsOwnServerEnvironment(interpreter: Interpreter, command: ServerCommand, serverInstalled: boolean): boolean {
  const fromInterpreter = command.args[0] === "-m" && command.command === interpreter.path;
  return interpreter.source === "PATH" && fromInterpreter && !serverInstalled;
}

/** The commands that make the extension's own server environment in `dir` and install `wheel` there. */
export function ownEnvironmentPlan(dir: string, wheel: string, uv: string | undefined, python: string): ServerCommand[] {
  const venvPython = path.join(dir, "bin", "python");
  if (uv) {
    return [
      { command: uv, args: ["venv", "--quiet", "--python", python, dir] },
      { command: uv, args: ["pip", "install", "--python", venvPython, wheel] },
    ];
  }
  return [
    { command: python, args: ["-m", "venv", dir] },
    { command: venvPython, args: ["-m", "pip", "install", wheel] },
  ];
}

/** `[tool.dg]` with `directory_type = "project"` (the server's project model; `dg.toml` has no `[tool.dg]` prefix). */
export function isDgProject(configText: string, fileName: "pyproject.toml" | "dg.toml"): boolean {
  const declaresProject = /^\s*directory_type\s*=\s*["']project["']/m.test(configText);
  return declaresProject && (fileName === "dg.toml" || /^\s*\[tool\.dg\]\s*$/m.test(configText));
}

/** Whether `file` lies in one of `folders`: in an untrusted workspace nothing from there may run. */
export function isInside(file: string, folders: string[]): boolean {
  const resolved = path.resolve(file);
  return folders.some((folder) => {
    const relative = path.relative(path.resolve(folder), resolved);
    return relative === "" || (!relative.startsWith("..") && !path.isAbsolute(relative));
  });
}

/**
 * In an untrusted workspace the server must not run from the workspace (a project's `.venv/bin/python`
 * or its `.pth` files could run anything). The project's interpreter is still named to the server, which
 * only uses it to find a cached registry; the server itself runs from outside the workspace, or not at all.
 */
export function untrustedRunner(command: ServerCommand, workspaceFolders: string[]): ServerCommand | undefined {
  const bare = !command.command.includes("/");
  return bare || !isInside(command.command, workspaceFolders) ? command : undefined;
}
