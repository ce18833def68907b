// A second, small subgraph for the federation checks: a case-management service that extends
// tipgraph's Report with `cases`, and whose Case points back at a Report.
export const casesTypeDefs = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
  type Report @key(fields: "id") {
    id: ID!
    cases: [Case!]!
  }
  type Case {
    id: ID!
    title: String!
    report: Report!
  }
  type Query {
    case(id: ID!): Case
  }
`;

export const casesResolvers = {
  Report: {
    cases: (report) => [{ id: `case-${report.id}`, title: `Investigation of report ${report.id}`,
                          report: { id: report.id } }],
  },
  Query: {
    case: (_, { id }) => ({ id, title: `Case ${id}`, report: { id: id.replace(/^case-/, "") } }),
  },
};
