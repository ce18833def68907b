// Compose tipgraph's subgraph SDL (file argv[2]) with the cases subgraph, as a supergraph
// would be built: prints {"errors": [...], "hints": [...], "supergraph": bool} as JSON.
import { composeServices } from "@apollo/composition";
import { parse } from "graphql";
import { readFileSync } from "node:fs";
import { casesTypeDefs } from "./cases.mjs";

const result = composeServices([
  { name: "tipgraph", typeDefs: parse(readFileSync(process.argv[2], "utf8")) },
  { name: "cases", typeDefs: parse(casesTypeDefs) },
]);
console.log(JSON.stringify({
  errors: (result.errors ?? []).map((e) => e.message),
  hints: (result.hints ?? []).map((h) => h.toString()),
  supergraph: Boolean(result.supergraphSdl),
}));
