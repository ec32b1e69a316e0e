import assert from "node:assert/strict";
import { test } from "node:test";
import { ServerStatus } from "../src/protocol";
import { foldKinds, isEnvironmentNotSetUp, StatusBoard } from "../src/statusModel";

const PROJECT = "file:///w/acme_analytics";

function status(subject: ServerStatus["subject"], state: ServerStatus["state"], message: string, project: string | null = PROJECT): ServerStatus {
  return { project, interpreter: "/w/.venv/bin/python", subject, state, message };
}

test("the worst state wins", () => {
  assert.equal(foldKinds(["ready", "loading"]), "loading");
  assert.equal(foldKinds(["ready", "error", "loading"]), "error");
  assert.equal(foldKinds(["untrusted", "loading"]), "untrusted");
  assert.equal(foldKinds(["ready", "ready"]), "ready");
  assert.equal(foldKinds([]), "starting");
});

test("the active file's project, its interpreter and each subject's state", () => {
  const board = new StatusBoard();
  board.setInterpreter("/w/.venv/bin/python");
  board.serverRunning();
  board.update(status("registry", "ready", "42 component types"));
  board.update(status("lineage", "loading", "Loading definitions"));
  board.update(status("registry", "error", "Could not read the component types", "file:///w/other"));
  const view = board.render(`${PROJECT}/src/acme_analytics/defs/dbt/defs.yaml`);
  assert.deepEqual(view, {
    text: "$(loading~spin) Dagster: acme_analytics",
    tooltip: [
      "Project: /w/acme_analytics",
      "Interpreter: /w/.venv/bin/python",
      "Registry: ready (42 component types)",
      "Lineage: loading (Loading definitions)",
    ].join("\n"),
    kind: "loading",
    click: "components",
  });
  const other = board.render("file:///w/other/defs.yaml");
  assert.equal(other.text, "$(error) Dagster: other");
  assert.equal(other.click, "log");
});

test("a file in no project, beside a project: the no-project statuses, not 'starting'", () => {
  const board = new StatusBoard();
  board.serverRunning();
  board.update(status("registry", "ready", "16 component types"));
  board.update(status("registry", "ready", "14 component types", null));
  const view = board.render("file:///w/broken/invalid_enum/defs.yaml");
  assert.equal(view.text, "$(check) Dagster: no project");
  assert.match(view.tooltip, /^Project: none .*\nInterpreter: \/w\/.venv\/bin\/python\nRegistry: ready \(14 component types\)$/);
  assert.equal(board.render(`${PROJECT}/defs.yaml`).text, "$(check) Dagster: acme_analytics");
});

test("untrusted, stopped and starting", () => {
  const board = new StatusBoard();
  assert.equal(board.render(undefined).text, "$(loading~spin) Dagster");
  board.serverRunning();
  board.update(status("registry", "untrusted", "12 component types from the cache; the workspace is not trusted, so no project code runs"));
  assert.equal(board.render(undefined).text, "$(shield) Dagster: acme_analytics");
  board.serverUntrusted("The workspace is not trusted, and the server would have to run /w/.venv/bin/python from it.");
  assert.deepEqual(board.render(undefined), {
    text: "$(shield) Dagster: untrusted",
    tooltip: "The workspace is not trusted, and the server would have to run /w/.venv/bin/python from it.\nInterpreter: not chosen yet",
    kind: "untrusted",
    click: "log",
  });
  board.serverStopped("dagster-components-ls is not installed in /usr/bin/python3.");
  const stopped = board.render(undefined);
  assert.equal(stopped.text, "$(circle-slash) Dagster: stopped");
  assert.equal(stopped.click, "log");
  assert.match(stopped.tooltip, /not installed in \/usr\/bin\/python3/);
});

// The server's registry status while it serves the bundled snapshot (lsp/server.py, project/bundled.py).
const NOT_SET_UP = "approximate: Dagster 1.13.27 built-ins, your project's environment is not set up (no Dagster in /usr/bin/python3); to set it up, run `uv sync` in /w/acme_analytics";

test("a project whose environment is not set up: a warning, and the click offers to create it", () => {
  const board = new StatusBoard();
  board.serverRunning();
  board.update({ ...status("registry", "ready", NOT_SET_UP), interpreter: "/usr/bin/python3" });
  board.update(status("registry", "ready", "14 component types", "file:///w/other"));
  assert.deepEqual(board.render(`${PROJECT}/defs.yaml`), {
    text: "$(warning) Dagster: acme_analytics",
    tooltip: ["Project: /w/acme_analytics", "Interpreter: /usr/bin/python3", `Registry: ready (${NOT_SET_UP})`, "Click to create the project's environment."].join("\n"),
    kind: "unset",
    click: "environment",
    project: PROJECT,
  });
  assert.deepEqual(board.projectsWithoutEnvironment(), [PROJECT]);
  assert.equal(board.render("file:///w/other/defs.yaml").click, "components");
  board.update(status("registry", "ready", "42 component types"));
  assert.deepEqual(board.projectsWithoutEnvironment(), []);
  assert.equal(board.render(`${PROJECT}/defs.yaml`).kind, "ready");
});

test("only the registry's bundled-snapshot status means 'not set up'", () => {
  assert.equal(isEnvironmentNotSetUp(status("registry", "ready", NOT_SET_UP)), true);
  assert.equal(isEnvironmentNotSetUp(status("registry", "ready", "42 component types (Dagster 1.13.27)")), false);
  assert.equal(isEnvironmentNotSetUp(status("lineage", "error", "Lineage needs the project's environment, which is not set up: x")), false);
  assert.equal(isEnvironmentNotSetUp(status("registry", "error", "Could not read the component types: boom")), false);
});
