// Print every GraphQL document the workspace sends (web/src/queries.ts), as JSON, for
// tests/test_workspace.py to validate against the schema.
import { build } from "esbuild";

const result = await build({ entryPoints: ["web/src/queries.ts"], bundle: true, format: "esm",
                             write: false, logLevel: "error" });
const code = result.outputFiles[0].text;
const queries = await import(`data:text/javascript;base64,${Buffer.from(code).toString("base64")}`);
const parts = await import(`data:text/javascript;base64,${Buffer.from((await build({
  entryPoints: ["web/src/generated.ts"], bundle: true, format: "esm", write: false,
  logLevel: "error" })).outputFiles[0].text).toString("base64")}`);
const documents = {};
for (const [name, value] of Object.entries(queries)) {
  if (typeof value === "string" && /^\s*(query|mutation)\b/.test(value)) documents[name] = value;
}
for (const [name, fields] of Object.entries(parts.PEOPLE_FIELDS)) {
  documents[`reportPart(${name})`] = queries.reportPart(fields);
}
console.log(JSON.stringify(documents));
