// The peer for the benchmarks: @neo4j/graphql serving an equivalent type definition over the
// same Neo4j (no audit; no authorization unless PEER_JWT_SECRET is set).
//   NEO4J_URI=bolt://localhost:7687 PORT=4100 node bench/peer/server.mjs
// With PEER_JWT_SECRET, a report is readable only with an HS256 JWT whose agency_id names an
// agency it was referred to (and only once submitted): the @authorization filter equivalent to
// tipgraph's law-enforcement row rule.
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { Neo4jGraphQL } from "@neo4j/graphql";
import neo4j from "neo4j-driver";

const secret = process.env.PEER_JWT_SECRET;
const reportAuthorization = secret ? `@authorization(filter: [{ where: { node: {
    status: { eq: "SUBMITTED" },
    referredTo: { some: { id: { eq: "$jwt.agency_id" } } } } } }])` : "";

const typeDefs = /* GraphQL */ `
  type Report @node ${reportAuthorization} {
    id: Int!
    status: String
    incidentType: String
    priority: String
    disposition: String
    priorityRank: Int
    queuedAt: DateTime
    openedAt: DateTime
    files: [File!]! @relationship(type: "HAS_FILE", direction: OUT)
    identifiers: [Identifier!]! @relationship(type: "MENTIONS", direction: OUT, properties: "Mention")
    referredTo: [Agency!]! @relationship(type: "REFERRED_TO", direction: OUT)
  }
  type Agency @node {
    id: String!
  }
  type Mention @relationshipProperties {
    role: String
  }
  type File @node {
    id: Int!
    fileName: String
    viewedByEsp: Boolean
    exifViewedByEsp: Boolean
    publiclyAvailable: Boolean
    hashes: [Identifier!]! @relationship(type: "HAS_HASH", direction: OUT)
    classifications: [Classification!]! @relationship(type: "LABELLED", direction: OUT)
  }
  type Classification @node {
    label: String
    source: String
    by: String
    at: DateTime
    basis: String
  }
  type Identifier @node {
    id: String!
    kind: String
    value: String
    scope: String
  }
` + (secret ? `
  type JWT @jwt {
    agency_id: String
  }` : "");

const driver = neo4j.driver(process.env.NEO4J_URI ?? "bolt://localhost:7687",
                            neo4j.auth.basic("neo4j", "neo4j"));
const features = secret ? { authorization: { key: secret } } : {};
const schema = await new Neo4jGraphQL({ typeDefs, driver, features }).getSchema();
const server = new ApolloServer({ schema });
const { url } = await startStandaloneServer(server, {
  listen: { host: "127.0.0.1", port: Number(process.env.PORT ?? 4100) },
  context: async ({ req }) => ({ token: req.headers.authorization }),
});
console.log(`PEER_READY ${url}`);
