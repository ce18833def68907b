// Every GraphQL document the workspace sends. tests/test_workspace.py validates each against
// the schema, so a renamed field fails a test, not an analyst.
import { REPORT_FIELDS } from "./generated";

export const QUEUE_ROW = `id status incidentType finishedAt openedAt priority disposition
  escalateToHighPriority annotations reporter { id name }`;

export const QUEUE = /* GraphQL */ `
query Queue($first: Int! = 25, $after: String, $filter: ReportFilter, $orderBy: [ReportOrder!]) {
  reports(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { ${QUEUE_ROW} } } } }`;

export const AGENCY_QUEUE = /* GraphQL */ `
query AgencyQueue($first: Int! = 25, $offset: Int!) {
  agencyQueue(first: $first, offset: $offset) {
    totalCount items { rank score signals { name weight value explanation }
      report { ${QUEUE_ROW} } } } }`;

export const SET_PRIORITY = /* GraphQL */ `
mutation SetPriority($id: ID!, $priority: Priority!, $reason: String!, $key: String) {
  setPriority(reportId: $id, priority: $priority, reason: $reason, idempotencyKey: $key) {
    ${QUEUE_ROW} } }`;

export const SET_DISPOSITION = /* GraphQL */ `
mutation SetDisposition($id: ID!, $disposition: Disposition!, $reason: String!, $key: String) {
  setDisposition(reportId: $id, disposition: $disposition, reason: $reason,
                 idempotencyKey: $key) { ${QUEUE_ROW} } }`;

export const REPORT = /* GraphQL */ `
query Report($id: ID!) { report(id: $id) ${REPORT_FIELDS} }`;

export function reportPart(fields: string): string {
  return `query ReportPart($id: ID!) { report(id: $id) ${fields} }`;
}

export const CROSS_REFERENCES = /* GraphQL */ `
query CrossReferences($id: ID!) { report(id: $id) { id
  crossReferences(first: 20) { score explanation
    report { id incidentType finishedAt reporter { name } }
    shared { id kind value scope reportCount } } } }`;

const SUBGRAPH = `nodes { id type label common properties }
  edges { id source target properties } truncated
  omittedCommon { id kind value reportCount }`;

export const NEIGHBORHOOD = /* GraphQL */ `
query Neighborhood($id: ID!, $first: Int!, $common: Boolean!, $kinds: [IdentifierKind!],
                   $since: DateTime, $until: DateTime) {
  neighborhood(id: $id, depth: 1, first: $first, includeCommon: $common, kinds: $kinds,
               since: $since, until: $until) { ${SUBGRAPH} } }`;

export const DEGREE_PREVIEW = /* GraphQL */ `
query DegreePreview($id: ID!) { degreePreview(id: $id) { id type total byType { type count } } }`;

export const PATHS = /* GraphQL */ `
query Paths($from: ID!, $to: ID!) {
  paths(fromId: $from, toId: $to, maxHops: 6, first: 3) { ${SUBGRAPH} } }`;

export const SUBGRAPH_OF = /* GraphQL */ `
query Subgraph($ids: [ID!]!) { subgraph(nodeIds: $ids) { ${SUBGRAPH} } }`;

export const EXPORT = /* GraphQL */ `
query Export($ids: [ID!]!, $format: ExportFormat!) {
  exportGraph(nodeIds: $ids, format: $format) { fileName mediaType content nodes edges } }`;

export const SAVED_VIEWS = /* GraphQL */ `query SavedViews { savedViews { name view savedAt } }`;

export const SAVE_VIEW = /* GraphQL */ `
mutation SaveView($name: String!, $view: JSON!, $key: String) {
  saveView(name: $name, view: $view, idempotencyKey: $key) { name savedAt } }`;
