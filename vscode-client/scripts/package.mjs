// Builds the .vsix: bundles the code, puts our server's wheel in bundled/ (offered for install into the
// project's interpreter), then runs vsce. PYTHON picks the interpreter that builds the wheel.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..", "..");
const here = path.resolve(import.meta.dirname, "..");
const python = process.env.PYTHON ?? (existsSync(path.join(root, ".venv/bin/python")) ? path.join(root, ".venv/bin/python") : "python3");
const run = (command, args, options = {}) => execFileSync(command, args, { stdio: "inherit", cwd: here, ...options });

run(process.execPath, ["scripts/build.mjs"]);
rmSync(path.join(here, "bundled"), { recursive: true, force: true });
mkdirSync(path.join(here, "bundled"));
run(python, ["-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", path.join(here, "bundled"), root]);
console.log(`bundled: ${readdirSync(path.join(here, "bundled")).join(", ")}`);
run(path.join(here, "node_modules/.bin/vsce"), ["package", "--no-dependencies", "--allow-missing-repository", "--skip-license", "--out", "dagster-components.vsix"]);
