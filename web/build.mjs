// Build the workspace: web/src/main.ts (TypeScript) and its graph library, bundled by esbuild
// into one script the package serves (api/static/workspace/workspace.js). Deterministic: the
// same sources give the same bytes, and tests/test_workspace.py checks the committed bundle
// is the one these sources build.
//   node web/build.mjs [--out FILE]
import { build } from "esbuild";
import { fileURLToPath } from "node:url";
import path from "node:path";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const at = process.argv.indexOf("--out");
const outfile = at > 0 ? process.argv[at + 1] : path.join(root, "api/static/workspace/workspace.js");

await build({
  entryPoints: [path.join(root, "web/src/main.ts")],
  bundle: true,
  minify: true,
  format: "iife",
  target: "es2022",
  legalComments: "eof",
  charset: "utf8",
  outfile,
  logLevel: "warning",
});
