/** What the status bar says: the `dagster/status` notifications folded per project, rendered for the active file. */

import * as path from "node:path";
import { ServerStatus } from "./protocol";

export type Kind = "starting" | "loading" | "ready" | "error" | "untrusted" | "stopped" | "unset";

export interface StatusView {
  text: string;
  tooltip: string;
  kind: Kind;
  /** "log" for errors (the click opens the log), "environment" when the project's environment is not
   *  set up (the click offers to create it), else "components". */
  click: "log" | "components" | "environment";
  /** The project the click is about ("environment" only). */
  project?: string;
}

/**
 * Whether a status says the server serves its bundled snapshot because the project's environment has no
 * Dagster. The payload has no structured field for it, so this is the one place that reads the text:
 *   {"subject": "registry", "state": "ready", "message": "approximate: Dagster 1.13.27 built-ins, your
 *    project's environment is not set up (no Dagster in /usr/bin/python3); to set it up, run `uv sync` in /p"}
 * (server: project/bundled.py's `label`).
 */
export function isEnvironmentNotSetUp(status: ServerStatus): boolean {
  return status.subject === "registry" && status.state === "ready" && status.message.includes("your project's environment is not set up");
}

const ICONS: Record<Kind, string> = {
  starting: "$(loading~spin)",
  loading: "$(loading~spin)",
  ready: "$(check)",
  error: "$(error)",
  untrusted: "$(shield)",
  stopped: "$(circle-slash)",
  unset: "$(warning)",
};

const SUBJECT_ORDER = ["registry", "lineage", "worker"] as const;

export class StatusBoard {
  private readonly projects = new Map<string, Map<string, ServerStatus>>();
  private serverState: "starting" | "running" | "stopped" | "untrusted" = "starting";
  private serverMessage = "";
  private interpreter: string | undefined;

  setInterpreter(interpreter: string | undefined): void {
    this.interpreter = interpreter;
  }

  serverStarting(): void {
    this.serverState = "starting";
    this.serverMessage = "";
    this.projects.clear();
  }

  serverRunning(): void {
    this.serverState = "running";
  }

  serverStopped(message: string): void {
    this.serverState = "stopped";
    this.serverMessage = message;
  }

  /** Not started because the workspace is not trusted and the server would run from it. */
  serverUntrusted(message: string): void {
    this.serverState = "untrusted";
    this.serverMessage = message;
  }

  update(status: ServerStatus): void {
    const project = status.project ?? "";
    let subjects = this.projects.get(project);
    if (!subjects) {
      subjects = new Map();
      this.projects.set(project, subjects);
    }
    subjects.set(status.subject, status);
  }

  /** The project that holds `fileUri` (the deepest root that contains it), else the only one, else the
   *  statuses for files in no project ("" key), else none. */
  private projectFor(fileUri: string | undefined): string | undefined {
    const roots = [...this.projects.keys()];
    const holding = roots
      .filter((root) => root && fileUri && (fileUri === root || fileUri.startsWith(root.endsWith("/") ? root : root + "/")))
      .sort((a, b) => b.length - a.length);
    if (holding.length > 0) {
      return holding[0];
    }
    if (roots.length === 1) {
      return roots[0];
    }
    return this.projects.has("") ? "" : undefined;
  }

  /** The projects whose environment is not set up, as their last registry status says. */
  projectsWithoutEnvironment(): string[] {
    return [...this.projects.entries()].filter(([project, subjects]) => {
      const registry = subjects.get("registry");
      return project !== "" && registry !== undefined && isEnvironmentNotSetUp(registry);
    }).map(([project]) => project);
  }

  render(activeFileUri: string | undefined): StatusView {
    const interpreterLine = `Interpreter: ${this.interpreter ?? "not chosen yet"}`;
    if (this.serverState === "stopped") {
      return view("stopped", "Dagster: stopped", `The language server is not running. ${this.serverMessage}\n${interpreterLine}\nClick to open the log.`, "log");
    }
    if (this.serverState === "untrusted") {
      return view("untrusted", "Dagster: untrusted", `${this.serverMessage}\n${interpreterLine}`, "log");
    }
    const project = this.projectFor(activeFileUri);
    const subjects = project === undefined ? undefined : this.projects.get(project);
    if (this.serverState === "starting" || !subjects) {
      return view("starting", "Dagster", `Starting the language server\n${interpreterLine}`, "log");
    }
    const statuses = SUBJECT_ORDER.map((s) => subjects.get(s)).filter((s): s is ServerStatus => s !== undefined);
    const name = project ? decodeURIComponent(path.posix.basename(project.replace(/\/$/, ""))) : "no project";
    const kind = foldKinds(statuses.map((s) => s.state));
    const lines = [`Project: ${project ? decodeURIComponent(project.replace(/^file:\/\//, "")) : "none (types installed in the interpreter)"}`];
    lines.push(`Interpreter: ${statuses.find((s) => s.interpreter)?.interpreter ?? this.interpreter ?? "unknown"}`);
    for (const s of statuses) {
      lines.push(`${capitalize(s.subject)}: ${s.state}${s.message ? ` (${s.message})` : ""}`);
    }
    // Before errors: with no environment, whatever else fails follows from it.
    const registry = subjects.get("registry");
    if (project && registry && isEnvironmentNotSetUp(registry)) {
      lines.push("Click to create the project's environment.");
      return { ...view("unset", `Dagster: ${name}`, lines.join("\n"), "environment"), project };
    }
    if (kind === "error") {
      lines.push("Click to open the log.");
      return view(kind, `Dagster: ${name}`, lines.join("\n"), "log");
    }
    return view(kind, `Dagster: ${name}`, lines.join("\n"), "components");
  }
}

/** The worst state wins: error, then untrusted, then loading, then ready. */
export function foldKinds(states: ServerStatus["state"][]): Kind {
  for (const kind of ["error", "untrusted", "loading"] as const) {
    if (states.includes(kind)) {
      return kind;
    }
  }
  return states.length > 0 ? "ready" : "starting";
}

function view(kind: Kind, label: string, tooltip: string, click: StatusView["click"]): StatusView {
  return { text: `${ICONS[kind]} ${label}`, tooltip, kind, click };
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
