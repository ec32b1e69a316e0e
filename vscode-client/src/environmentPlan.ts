/** How to create a dg project's environment, and which interpreter to use afterwards: pure decisions, no VS Code, no I/O. */

import * as path from "node:path";

/** What the plan depends on, read from the project folder and PATH. */
export interface ProjectFacts {
  /** The dg project's folder (where pyproject.toml with `[tool.dg]` is). */
  root: string;
  /** `uv.lock` is in the project folder. */
  hasUvLock: boolean;
  /** `.venv/bin/python` exists in the project folder already. */
  hasVenv: boolean;
  /** uv's path when it is on PATH. */
  uv: string | undefined;
  /** The Python that makes the venv when uv is absent (`python3` on PATH). */
  python: string;
  /**
   * The language server's wheel to install into the new environment too (the copy bundled with the
   * extension), so that the server can restart there without asking to install itself; undefined when
   * the server runs from elsewhere (`dagsterComponents.server.path`) or the extension carries none.
   */
  serverWheel?: string;
}

export interface Step {
  /** What the progress notification says while the step runs. */
  title: string;
  command: string;
  args: string[];
}

/** The interpreter the plan's environment has: `<root>/.venv/bin/python`. */
export function venvPython(root: string): string {
  return path.join(root, ".venv", "bin", "python");
}

/**
 * The commands, run in order in the project folder (the same choice as the server's setup hint):
 * `uv sync` with a uv.lock, else `uv venv` + `uv pip install -e .`, else (no uv) the stdlib venv + pip.
 * An existing `.venv` is kept: only the install runs into it. With `serverWheel`, the language server
 * is installed last, into the same `.venv`.
 */
export function environmentPlan(facts: ProjectFacts): Step[] {
  const python = venvPython(facts.root);
  return [...projectSteps(facts, python), ...serverSteps(facts, python)];
}

function projectSteps(facts: ProjectFacts, python: string): Step[] {
  if (facts.uv && facts.hasUvLock) {
    return [{ title: "uv sync", command: facts.uv, args: ["sync"] }];
  }
  if (facts.uv) {
    return [
      ...(facts.hasVenv ? [] : [{ title: "uv venv", command: facts.uv, args: ["venv"] }]),
      { title: "uv pip install -e .", command: facts.uv, args: ["pip", "install", "--python", python, "-e", "."] },
    ];
  }
  return [
    ...(facts.hasVenv ? [] : [{ title: "python -m venv .venv", command: facts.python, args: ["-m", "venv", ".venv"] }]),
    { title: "pip install -e .", command: python, args: ["-m", "pip", "install", "-e", "."] },
  ];
}

/** The bundled server wheel into the new environment: with uv when the plan used it (uv venvs have no pip), else pip. */
function serverSteps(facts: ProjectFacts, python: string): Step[] {
  if (!facts.serverWheel) {
    return [];
  }
  const title = "install the language server";
  return facts.uv
    ? [{ title, command: facts.uv, args: ["pip", "install", "--python", python, facts.serverWheel] }]
    : [{ title, command: python, args: ["-m", "pip", "install", facts.serverWheel] }];
}

/** One line for the log and for messages: `uv pip install --python /p/.venv/bin/python -e .`. */
export function commandLine(step: Step): string {
  return [step.command, ...step.args].map((a) => (/[\s"']/.test(a) ? JSON.stringify(a) : a)).join(" ");
}

/**
 * After the environment is made: when the extension's own choice (setting, Python extension, project
 * `.venv`, PATH) already lands on the new interpreter, restarting the server is enough; otherwise the
 * setting `dagsterComponents.python` must name it (written relative to the workspace folder when inside).
 */
export function interpreterUpdate(chosen: string, created: string, workspaceFolder: string | undefined): { setting: string | undefined } {
  if (path.resolve(chosen) === path.resolve(created)) {
    return { setting: undefined };
  }
  const relative = workspaceFolder ? path.relative(workspaceFolder, created) : "";
  const inside = workspaceFolder !== undefined && relative !== "" && !relative.startsWith("..") && !path.isAbsolute(relative);
  return { setting: inside ? `\${workspaceFolder}/${relative.split(path.sep).join("/")}` : created };
}
