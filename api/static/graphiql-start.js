// tipgraph's GraphiQL (development only): it opens on a tipgraph example document, says how to
// send a token, and keeps everything, the request headers first, in this tab's memory only:
// nothing is written to localStorage, so a bearer token does not outlive the tab.
const EXAMPLE = `# tipgraph: the clearinghouse's GraphQL API.
#
# Every request needs a token. Open "Headers"
# below and paste:
#
#   {"Authorization": "Bearer YOUR-TOKEN"}
#
# In development, mint one with
#   .venv/bin/tipgraph token mint --role analyst
# Headers stay in this tab's memory only:
# reload the page and they are gone.
#
# A token sees what its role and scopes allow,
# field by field: a field it may not read is
# null, with a FORBIDDEN error naming the scope.
#
# Run with Ctrl-Enter. The triage queue:
query TriageQueue {
  reports(first: 10) {
    totalCount
    edges {
      node {
        id
        status
        incidentType
        priority
        disposition
        openedAt
        labelSummary
      }
    }
  }
}
`;

// GraphiQL would keep its tabs in localStorage, and a tab's state holds its headers even with
// shouldPersistHeaders off: it gets a store in this tab's memory instead, so nothing of a
// session (token, documents, results) is left in the browser.
const memory = new Map();
const storage = {
  getItem: (key) => (memory.has(key) ? memory.get(key) : null),
  setItem: (key, value) => { memory.set(key, String(value)); },
  removeItem: (key) => { memory.delete(key); },
  clear: () => { memory.clear(); },
  get length() { return memory.size; },
};

const root = ReactDOM.createRoot(document.getElementById("graphiql"));
root.render(React.createElement(GraphiQL, {
  fetcher: GraphiQL.createFetcher({ url: "/graphql" }),
  defaultQuery: EXAMPLE,
  defaultHeaders: '{"Authorization": "Bearer "}',
  defaultEditorToolsVisibility: "headers",
  isHeadersEditorEnabled: true,
  shouldPersistHeaders: false,
  storage,
}));
