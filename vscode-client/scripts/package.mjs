// Builds the .vsix: bundles the code, puts our server's wheel in bundled/ (offered for install into the
// project's interpreter), then runs vsce. PYTHON picks the interpreter that builds the wheel.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from "node:fs";
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
// The README's relative links (../docs/images/*.png, ../docs/*.md) become absolute URLs into the repository: vsce would
// otherwise join them to the repository's root, not to this folder (repository.directory).
const { repository } = JSON.parse(readFileSync(path.join(here, "package.json"), "utf8"));
const web = repository.url.replace(/\.git$/, "");
run(path.join(here, "node_modules/.bin/vsce"), [
  "package", "--no-dependencies", "--out", "dagster-components.vsix",
  "--baseContentUrl", `${web}/blob/HEAD/${repository.directory}/`, "--baseImagesUrl", `${web}/raw/HEAD/${repository.directory}/`,
]);
