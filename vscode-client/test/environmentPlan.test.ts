import assert from "node:assert/strict";
import { test } from "node:test";
import { commandLine, environmentPlan, interpreterUpdate, ProjectFacts } from "../src/environmentPlan";

const BARE: ProjectFacts = { root: "/w/shop", hasUvLock: false, hasVenv: false, uv: undefined, python: "python3" };

const PLANS: [string, Partial<ProjectFacts>, string[]][] = [
  // uv.lock and uv: the lock decides everything
  ["uv.lock, uv on PATH", { hasUvLock: true, uv: "/u/uv" }, ["/u/uv sync"]],
  ["uv.lock and a .venv already: uv sync still", { hasUvLock: true, hasVenv: true, uv: "/u/uv" }, ["/u/uv sync"]],
  // uv without a lock: a venv, then the project installed editable into it
  ["uv on PATH, no lock", { uv: "/u/uv" }, ["/u/uv venv", "/u/uv pip install --python /w/shop/.venv/bin/python -e ."]],
  ["uv, no lock, a .venv already: only the install", { uv: "/u/uv", hasVenv: true }, ["/u/uv pip install --python /w/shop/.venv/bin/python -e ."]],
  // no uv: the stdlib venv and pip, even with a uv.lock (nothing here can read it)
  ["no uv", {}, ["python3 -m venv .venv", "/w/shop/.venv/bin/python -m pip install -e ."]],
  ["no uv, a uv.lock", { hasUvLock: true, python: "/usr/bin/python3" }, ["/usr/bin/python3 -m venv .venv", "/w/shop/.venv/bin/python -m pip install -e ."]],
  ["no uv, a .venv already", { hasVenv: true }, ["/w/shop/.venv/bin/python -m pip install -e ."]],
  // the bundled server wheel goes into the same .venv, last: uv where the plan used uv (its venvs have no pip), else pip
  ["uv, no lock, the server wheel", { uv: "/u/uv", serverWheel: "/x/bundled/s.whl" }, ["/u/uv venv", "/u/uv pip install --python /w/shop/.venv/bin/python -e .", "/u/uv pip install --python /w/shop/.venv/bin/python /x/bundled/s.whl"]],
  ["uv.lock, the server wheel: after uv sync", { hasUvLock: true, uv: "/u/uv", serverWheel: "/x/bundled/s.whl" }, ["/u/uv sync", "/u/uv pip install --python /w/shop/.venv/bin/python /x/bundled/s.whl"]],
  ["no uv, the server wheel: pip", { serverWheel: "/x/bundled/s.whl" }, ["python3 -m venv .venv", "/w/shop/.venv/bin/python -m pip install -e .", "/w/shop/.venv/bin/python -m pip install /x/bundled/s.whl"]],
  ["a .venv already, the server wheel", { uv: "/u/uv", hasVenv: true, serverWheel: "/x/bundled/s.whl" }, ["/u/uv pip install --python /w/shop/.venv/bin/python -e .", "/u/uv pip install --python /w/shop/.venv/bin/python /x/bundled/s.whl"]],
  // a folder with a space is quoted in the log line only
  ["a space in the project folder", { root: "/w/my shop", uv: "/u/uv" }, ["/u/uv venv", '/u/uv pip install --python "/w/my shop/.venv/bin/python" -e .']],
];

for (const [name, facts, expected] of PLANS) {
  test(`environment plan: ${name}`, () => {
    assert.deepEqual(environmentPlan({ ...BARE, ...facts }).map(commandLine), expected);
  });
}

test("the plan's argv keeps a folder with a space as one argument", () => {
  assert.deepEqual(environmentPlan({ ...BARE, root: "/w/my shop", uv: "/u/uv", hasVenv: true })[0].args, ["pip", "install", "--python", "/w/my shop/.venv/bin/python", "-e", "."]);
});

test("the server wheel's step says what it installs", () => {
  const steps = environmentPlan({ ...BARE, uv: "/u/uv", serverWheel: "/x/s.whl" });
  assert.deepEqual(steps.map((s) => s.title), ["uv venv", "uv pip install -e .", "install the language server"]);
});

const UPDATES: [string, string, string, string | undefined, string | undefined][] = [
  // [case, interpreter the extension picks now, created, workspace folder, setting to write]
  ["the project .venv is picked on its own: restart only", "/w/shop/.venv/bin/python", "/w/shop/.venv/bin/python", "/w", undefined],
  ["the Python extension's interpreter wins: name the venv, relative to the folder", "/usr/bin/python3", "/w/shop/.venv/bin/python", "/w", "${workspaceFolder}/shop/.venv/bin/python"],
  ["PATH's python3 (bare)", "python3", "/w/.venv/bin/python", "/w", "${workspaceFolder}/.venv/bin/python"],
  ["a project outside the workspace folder: absolute", "/usr/bin/python3", "/elsewhere/p/.venv/bin/python", "/w", "/elsewhere/p/.venv/bin/python"],
  ["no workspace folder: absolute", "python3", "/w/shop/.venv/bin/python", undefined, "/w/shop/.venv/bin/python"],
];

for (const [name, chosen, created, folder, setting] of UPDATES) {
  test(`after creating: ${name}`, () => {
    assert.deepEqual(interpreterUpdate(chosen, created, folder), { setting });
  });
}
