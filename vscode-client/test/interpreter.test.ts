import assert from "node:assert/strict";
import { test } from "node:test";
import { chooseInterpreter, expandPath, installCommand, isDgProject, isInside, needsOwnServerEnvironment, ownEnvironmentPlan, serverCommand, untrustedRunner, venvCandidates } from "../src/interpreter";

const NONE = { setting: undefined, pythonExtension: undefined, projectVenvs: [] };

test("the setting wins, then the Python extension, then the project venv, then PATH", () => {
  const all = { setting: "/opt/py/bin/python", pythonExtension: "/ext/bin/python", projectVenvs: ["/w/p/.venv/bin/python"] };
  assert.deepEqual(chooseInterpreter(all, "/w", "/home/u"), { path: "/opt/py/bin/python", source: "setting" });
  assert.deepEqual(chooseInterpreter({ ...all, setting: "  " }, "/w", "/home/u"), { path: "/ext/bin/python", source: "python-extension" });
  assert.deepEqual(chooseInterpreter({ ...all, setting: "", pythonExtension: undefined }, "/w", "/home/u"), { path: "/w/p/.venv/bin/python", source: "project-venv" });
  assert.deepEqual(chooseInterpreter(NONE, "/w", "/home/u"), { path: "python3", source: "PATH" });
});

test("setting paths expand ${workspaceFolder}, ~ and relative paths; bare commands stay for PATH", () => {
  assert.equal(expandPath("${workspaceFolder}/.venv/bin/python", "/w", "/h"), "/w/.venv/bin/python");
  assert.equal(expandPath("~/envs/a/bin/python", "/w", "/h"), "/h/envs/a/bin/python");
  assert.equal(expandPath(".venv/bin/python", "/w", "/h"), "/w/.venv/bin/python");
  assert.equal(expandPath("python3.12", "/w", "/h"), "python3.12");
});

test("venv candidates: each project root before the workspace folders, no repeats", () => {
  assert.deepEqual(venvCandidates(["/w/a", "/w"], ["/w"]), [
    "/w/a/.venv/bin/python", "/w/a/venv/bin/python", "/w/.venv/bin/python", "/w/venv/bin/python",
  ]);
});

test("the server comes from the interpreter unless a server command is set", () => {
  assert.deepEqual(serverCommand([], "/p/bin/python"), { command: "/p/bin/python", args: ["-m", "dagster_components_ls", "serve"] });
  assert.deepEqual(serverCommand(["/opt/dcls", "serve", "--python", "/p/bin/python"], "/x"), { command: "/opt/dcls", args: ["serve", "--python", "/p/bin/python"] });
  assert.deepEqual(serverCommand(" /opt/dcls ", "/x"), { command: "/opt/dcls", args: [] });
});

test("install with pip when the venv has it, else with uv, else not at all", () => {
  assert.deepEqual(installCommand("/p/python", "/e/w.whl", true, "/u/uv"), { command: "/p/python", args: ["-m", "pip", "install", "--upgrade", "/e/w.whl"] });
  assert.deepEqual(installCommand("/p/python", "/e/w.whl", false, "/u/uv"), { command: "/u/uv", args: ["pip", "install", "--python", "/p/python", "--upgrade", "/e/w.whl"] });
  assert.equal(installCommand("/p/python", "/e/w.whl", false, undefined), undefined);
});

test("a dg project is a [tool.dg] table with directory_type = project", () => {
  assert.equal(isDgProject('[project]\nname="a"\n\n[tool.dg]\ndirectory_type = "project"\n', "pyproject.toml"), true);
  assert.equal(isDgProject('[tool.dg]\ndirectory_type = "workspace"\n', "pyproject.toml"), false);
  assert.equal(isDgProject('[project]\nname = "a"\n', "pyproject.toml"), false);
  assert.equal(isDgProject('directory_type = "project"\n', "dg.toml"), true);
});

test("in an untrusted workspace nothing inside it runs", () => {
  const folders = ["/w/shop"];
  assert.equal(isInside("/w/shop/.venv/bin/python", folders), true);
  assert.equal(isInside("/w/shop2/.venv/bin/python", folders), false);
  assert.equal(isInside("/w/shop/../other/python", folders), false);
  assert.equal(untrustedRunner({ command: "/w/shop/.venv/bin/python", args: [] }, folders), undefined);
  assert.deepEqual(untrustedRunner({ command: "/opt/dcls/bin/python", args: ["-m"] }, folders), { command: "/opt/dcls/bin/python", args: ["-m"] });
  assert.deepEqual(untrustedRunner({ command: "python3", args: [] }, folders), { command: "python3", args: [] });
});

test("the server runs from the extension's own environment only when python3 on PATH is all there is and lacks it", () => {
  const onPath = { path: "python3", source: "PATH" as const };
  assert.equal(needsOwnServerEnvironment(onPath, serverCommand([], "python3"), false), true);
  assert.equal(needsOwnServerEnvironment(onPath, serverCommand([], "python3"), true), false, "python3 has the server");
  assert.equal(needsOwnServerEnvironment(onPath, serverCommand(["/opt/dcls", "serve"], "python3"), false), false, "server.path");
  for (const source of ["setting", "python-extension", "project-venv"] as const) {
    const chosen = { path: "/p/.venv/bin/python", source };
    assert.equal(needsOwnServerEnvironment(chosen, serverCommand([], chosen.path), false), false, source);
  }
});

test("the extension's own environment: uv venv and uv pip when uv is on PATH, else venv and pip", () => {
  assert.deepEqual(ownEnvironmentPlan("/g/server-0.1.0", "/e/w.whl", "/u/uv", "python3"), [
    { command: "/u/uv", args: ["venv", "--quiet", "--python", "python3", "/g/server-0.1.0"] },
    { command: "/u/uv", args: ["pip", "install", "--python", "/g/server-0.1.0/bin/python", "/e/w.whl"] },
  ]);
  assert.deepEqual(ownEnvironmentPlan("/g/server-0.1.0", "/e/w.whl", undefined, "python3"), [
    { command: "python3", args: ["-m", "venv", "/g/server-0.1.0"] },
    { command: "/g/server-0.1.0/bin/python", args: ["-m", "pip", "install", "/e/w.whl"] },
  ]);
});
