// @apollo/gateway over tipgraph (TIPGRAPH_URL) and the cases subgraph (started here), composed
// by introspection; the caller's Authorization header is passed on to tipgraph.
//   TIPGRAPH_URL=http://127.0.0.1:8000/graphql PORT=4300 node tests/node/gateway.mjs
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { ApolloGateway, IntrospectAndCompose, RemoteGraphQLDataSource } from "@apollo/gateway";
import { parse } from "graphql";
import { casesResolvers, casesTypeDefs } from "./cases.mjs";

const cases = new ApolloServer({
  schema: buildSubgraphSchema({ typeDefs: parse(casesTypeDefs), resolvers: casesResolvers }),
});
const { url: casesUrl } = await startStandaloneServer(cases, {
  listen: { host: "127.0.0.1", port: 0 },
});

const gateway = new ApolloGateway({
  supergraphSdl: new IntrospectAndCompose({
    subgraphs: [
      { name: "tipgraph", url: process.env.TIPGRAPH_URL },
      { name: "cases", url: casesUrl },
    ],
  }),
  buildService({ url }) {
    return new RemoteGraphQLDataSource({
      url,
      willSendRequest({ request, context }) {
        if (context.authorization) request.http.headers.set("authorization", context.authorization);
      },
    });
  },
});
const server = new ApolloServer({ gateway });
const { url } = await startStandaloneServer(server, {
  listen: { host: "127.0.0.1", port: Number(process.env.PORT ?? 4300) },
  context: async ({ req }) => ({ authorization: req.headers.authorization }),
});
console.log(`GATEWAY_READY ${url}`);
