// The graphql-http package's server audits against a GraphQL endpoint (argv[2]); prints one
// JSON array of {name, status, reason}. Names start with MUST, SHOULD or MAY.
import { serverAudits } from "graphql-http";

const results = [];
for (const audit of serverAudits({ url: process.argv[2] })) {
  const result = await audit.fn();
  results.push({ name: audit.name, status: result.status, reason: result.reason ?? null });
}
console.log(JSON.stringify(results));
