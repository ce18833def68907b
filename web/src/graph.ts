// The graph: reports and the identifiers they mention, walked one expansion at a time.
//
// It stays readable as it grows. Placed nodes never move: new ones are put in free room
// around the node they came from. Labels are full (with the service or algorithm) and never
// drawn over each other: a label that would collide with a more relevant one waits until
// its node is hovered or selected. A capped expansion says how many more there are; a
// supernode (a common identifier, or a report with more links than one expansion shows)
// stays collapsed until you choose what to expand: one kind, or a time window. Everything a
// click does has a button and a key, and a list view shows the graph as a table.
import cytoscape from "cytoscape";
import { ApiError, gql, key } from "./api";
import { announce, download, h, replace } from "./dom";
import { title, when, words } from "./format";
import { DEGREE_PREVIEW, EXPORT, NEIGHBORHOOD, PATHS, SAVED_VIEWS, SAVE_VIEW,
         SUBGRAPH_OF } from "./queries";

type Json = Record<string, unknown>;
interface GNode { id: string; type: string; label: string; common: boolean; properties: Json }
interface GEdge { id: string; source: string; target: string; properties: Json }
interface Subgraph { nodes: GNode[]; edges: GEdge[]; truncated: boolean;
                     omittedCommon: { id: string; kind: string; value: string | null;
                                      reportCount: number }[] }
interface Preview { id: string; type: string; total: number;
                    byType: { type: string; count: number }[] }

export const KINDS = ["SCREEN_NAME", "ESP_ACCOUNT", "EMAIL", "PHONE", "IP_ADDRESS", "URL",
                      "DEVICE_ID", "FILE_HASH"];
const PAGE = 25;        // nodes one expansion adds
const SPACING = 70;     // the least distance between two nodes' centres
const COLORS = { report: "#0b5cad", identifier: "#1a7f37", common: "#6e7781", path: "#bf3989",
                 hover: "#9a6700" };

const view = {
  cy: null as cytoscape.Core | null,
  expanded: new Set<string>(),
  kinds: new Set(KINDS),
  since: "",
  until: "",
  ends: [null, null] as (string | null)[],
  selected: null as string | null,
  listed: false,
};

export async function showGraph(main: HTMLElement, start: string | null): Promise<void> {
  const canvas = h("div", { id: "cy", tabindex: "0", role: "application",
    "aria-label": "The graph. Arrow keys move between nodes; Enter expands the selected one; " +
                  "L shows the list view." });
  const card = h("div", { id: "card", "aria-live": "polite" }, "Hover or select a node or a link.");
  const actions = h("div", { id: "actions" });
  const list = h("div", { id: "list", hidden: true, tabindex: "-1" });
  const views = h("ul", { id: "views" });
  const panel = h("aside", { class: "graph-panel", "aria-label": "Graph tools" },
    h("form", { id: "open-form", onsubmit: (e: Event) => { e.preventDefault();
        const value = (document.getElementById("find") as HTMLInputElement).value.trim();
        void find(value); } },
      h("label", { for: "find" }, "Find on screen, or open a report or identifier id"),
      h("input", { id: "find", autocomplete: "off", placeholder: "report id, value, idf_…" }),
      h("button", { type: "submit" }, "Find")),
    h("fieldset", { class: "choices" }, h("legend", {}, "Show identifier kinds"),
      KINDS.map((kind) => h("label", {}, h("input", { type: "checkbox", checked: true,
        "data-kind": kind, onchange: (e: Event) => {
          if ((e.target as HTMLInputElement).checked) view.kinds.add(kind);
          else view.kinds.delete(kind);
          applyFilters(); } }), ` ${words(kind)}`))),
    h("fieldset", { class: "choices" }, h("legend", {}, "Reports submitted (UTC)"),
      h("label", {}, "from ", h("input", { type: "date", id: "since", onchange: (e: Event) => {
        view.since = (e.target as HTMLInputElement).value; applyFilters(); } })),
      h("label", {}, " until ", h("input", { type: "date", id: "until", onchange: (e: Event) => {
        view.until = (e.target as HTMLInputElement).value; applyFilters(); } }))),
    h("h2", {}, "Selected"), actions, card,
    h("h2", {}, "Keep and share"),
    h("div", { class: "row" },
      h("button", { type: "button", id: "export-png", onclick: () => void exportAs("PNG") },
        "Export PNG"),
      h("button", { type: "button", id: "export-graphml",
                    onclick: () => void exportAs("GRAPHML") }, "Export GraphML"),
      h("button", { type: "button", id: "export-json", onclick: () => void exportAs("JSON") },
        "Export JSON"),
      h("button", { type: "button", id: "toggle-list", onclick: () => toggleList() },
        "List view")),
    h("form", { id: "save-form", onsubmit: (e: Event) => { e.preventDefault(); void save(); } },
      h("label", { for: "view-name" }, "Save this view as"),
      h("input", { id: "view-name", required: true, maxlength: 100 }),
      h("button", { type: "submit" }, "Save view")),
    h("h3", {}, "Your saved views"), views);
  const stage = h("div", { class: "graph-stage" }, canvas, list);
  replace(main, h("div", { class: "graph-layout" }, stage, panel));
  view.cy = cytoscape({ container: canvas, style: STYLE as cytoscape.StylesheetJson,
                        layout: { name: "preset" }, wheelSensitivity: 0.3, minZoom: 0.2,
                        maxZoom: 3 });
  view.expanded.clear();
  view.ends = [null, null];
  view.selected = null;
  (window as unknown as { cy: cytoscape.Core }).cy = view.cy;
  wire(view.cy, stage);
  renderActions();
  void listViews();
  if (start) await expand(start, {});
}

const STYLE = [
  { selector: "node", style: {
      label: "data(display)", "font-size": 10, color: "#1f2328", "text-wrap": "wrap",
      "text-max-width": "170px", "text-valign": "bottom", "text-margin-y": 4,
      "text-background-color": "#ffffff", "text-background-opacity": 0.9,
      "text-background-padding": "2px", "background-color": COLORS.identifier, width: 16,
      height: 16 } },
  { selector: "node.Report", style: { "background-color": COLORS.report,
      shape: "round-rectangle", width: 24, height: 16 } },
  { selector: "node.common", style: { "background-color": "#ffffff", "border-width": 2,
      "border-style": "dashed", "border-color": COLORS.common, shape: "diamond", width: 22,
      height: 22 } },
  { selector: "node.quiet", style: { "text-opacity": 0, "text-background-opacity": 0 } },
  { selector: "node.expanded", style: { "border-width": 3, "border-color": "#1f2328" } },
  { selector: "node.more", style: { "border-width": 3, "border-style": "double",
      "border-color": COLORS.hover } },
  { selector: "node:selected", style: { "overlay-color": COLORS.hover, "overlay-opacity": 0.25,
      "text-opacity": 1, "text-background-opacity": 0.9, "z-index": 20 } },
  { selector: "node.hover", style: { "text-opacity": 1, "text-background-opacity": 1,
      "z-index": 30, "border-width": 3, "border-color": COLORS.hover } },
  { selector: "edge", style: { width: 1.5, "line-color": "#8c959f", "curve-style": "bezier" } },
  { selector: "edge.common", style: { "line-style": "dashed" } },
  { selector: "edge.hover", style: { width: 3, "line-color": COLORS.hover } },
  { selector: ".path", style: { "line-color": COLORS.path, "border-color": COLORS.path,
      "border-width": 3, width: 3 } },
  { selector: ".filtered", style: { display: "none" } },
];

function cy(): cytoscape.Core {
  if (!view.cy) throw new Error("no graph");
  return view.cy;
}

/** The nodes on screen, as an array (not hidden by a filter unless `all`). */
function shown(all = false): cytoscape.NodeSingular[] {
  return cy().nodes().map((n) => n).filter((n) => all || !n.hasClass("filtered"));
}

// -- reading the graph ---------------------------------------------------------------------

function display(node: GNode, more: number): string {
  return more > 0 ? `${node.label}\n+${more} more` : node.label;
}

/** Put new nodes in free room around `anchor`, never moving what is placed. */
function place(ids: string[], anchor: string | null): void {
  const graph = cy();
  const taken = shown(true).filter((n) => !ids.includes(n.id())).map((n) => n.position());
  const origin = anchor && !graph.getElementById(anchor).empty()
    ? graph.getElementById(anchor).position()
    : taken.length ? { x: Math.max(...taken.map((p) => p.x)) + 200, y: 0 } : { x: 0, y: 0 };
  let ring = 1;
  let slot = 0;
  for (const id of ids) {
    for (;;) {
      const around = Math.max(6, ring * 8);
      const angle = (2 * Math.PI * slot) / around + ring * 0.4;
      const spot = { x: origin.x + Math.cos(angle) * ring * 95,
                     y: origin.y + Math.sin(angle) * ring * 80 };
      slot += 1;
      if (slot >= around) { slot = 0; ring += 1; }
      if (taken.every((p) => Math.hypot(p.x - spot.x, p.y - spot.y) >= SPACING)) {
        graph.getElementById(id).position(spot);
        taken.push(spot);
        break;
      }
    }
  }
}

function add(graph: Subgraph, anchor: string | null): string[] {
  const c = cy();
  const fresh: string[] = [];
  for (const node of graph.nodes) {
    if (!c.getElementById(node.id).empty()) continue;
    c.add({ group: "nodes", data: { ...node, display: display(node, 0) },
            classes: [node.type, node.common ? "common" : ""].join(" ") });
    fresh.push(node.id);
  }
  for (const edge of graph.edges) {
    if (c.getElementById(edge.id).empty() && !c.getElementById(edge.source).empty()
        && !c.getElementById(edge.target).empty()) {
      c.add({ group: "edges", data: { ...edge } });
    }
  }
  for (const common of graph.omittedCommon) {
    if (c.getElementById(common.id).empty()) {
      const node: GNode = { id: common.id, type: "Identifier", common: true,
        label: `${common.kind}: ${common.value ?? "(value needs pii:read)"}\n` +
               `${common.reportCount} reports · collapsed`,
        properties: { kind: common.kind, value: common.value, reportCount: common.reportCount } };
      c.add({ group: "nodes", data: { ...node, display: display(node, 0) },
              classes: "Identifier common" });
      fresh.push(common.id);
    }
    const id = `${anchor}~${common.id}`;
    if (anchor && c.getElementById(id).empty()) {
      c.add({ group: "edges", classes: "common", data: { id, source: anchor, target: common.id,
        properties: { basis: `A common identifier (${common.reportCount} reports you may see):` +
                             " collapsed; expand it by time window or anyway." } } });
    }
  }
  place(fresh, anchor);
  applyFilters();
  keepInView(fresh);
  return fresh;
}

/** Zoom out (never moving a node) when new nodes fall outside the view. */
function keepInView(fresh: string[]): void {
  const c = cy();
  if (!fresh.length) return;
  const extent = c.extent();
  const outside = fresh.some((id) => {
    const p = c.getElementById(id).position();
    return p.x < extent.x1 || p.x > extent.x2 || p.y < extent.y1 || p.y > extent.y2;
  });
  if (outside || fresh.length === c.nodes().length) {
    c.fit(undefined, 40);
    if (c.zoom() > 1.2) { c.zoom(1.2); c.center(); }
  }
}

/** Hide labels that would sit on a more relevant one; they show on hover and selection. */
function declutter(): void {
  const c = cy();
  c.nodes(".quiet").removeClass("quiet");
  // measured with every label shown, then the clashing ones quieted in one batch
  const boxes = shown().sort((a, b) => rank(b) - rank(a)).map((node) =>
    ({ node, box: labelBox(node) }));
  const kept: cytoscape.BoundingBox12[] = [];
  const quiet: cytoscape.NodeSingular[] = [];
  for (const { node, box } of boxes) {
    if (!node.selected() && kept.some((k) => overlaps(k, box))) quiet.push(node);
    else kept.push(box);
  }
  c.batch(() => quiet.forEach((node) => node.addClass("quiet")));
}

function rank(node: cytoscape.NodeSingular): number {
  return (node.selected() ? 1e6 : 0) + (view.expanded.has(node.id()) ? 1e5 : 0)
    + (node.hasClass("path") ? 1e4 : 0) + Number(node.data("properties")?.degree ?? 0);
}

function labelBox(node: cytoscape.NodeSingular): cytoscape.BoundingBox12 {
  const box = node.boundingBox({ includeLabels: true, includeNodes: true,
                                 includeOverlays: false } as cytoscape.BoundingBoxOptions);
  return { x1: box.x1, y1: box.y1, x2: box.x2, y2: box.y2 };
}

function overlaps(a: cytoscape.BoundingBox12, b: cytoscape.BoundingBox12): boolean {
  return a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2;
}

/** For tests and the curious: pairs of visible labels that overlap (0 is the promise). */
export function overlappingLabels(): number {
  const boxes = shown().filter((n) => !n.hasClass("quiet")).map((n) => labelBox(n));
  let count = 0;
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) if (overlaps(boxes[i], boxes[j])) count++;
  }
  return count;
}

function applyFilters(): void {
  const c = cy();
  const since = view.since ? `${view.since}T00:00:00Z` : null;
  const until = view.until ? `${view.until}T00:00:00Z` : null;
  c.batch(() => {
    c.nodes().forEach((node) => {
      const p = node.data("properties") as Json;
      let hidden = false;
      if (node.data("type") === "Identifier") hidden = !view.kinds.has(String(p.kind));
      else {
        const at = String(p.finishedAt ?? p.openedAt ?? "");
        hidden = (since !== null && at < since) || (until !== null && at >= until);
      }
      node.toggleClass("filtered", hidden);
    });
  });
  declutter();
  renderList();
}

// -- provenance -----------------------------------------------------------------------------

function describe(element: cytoscape.SingularElementArgument): HTMLElement {
  const p = (element.data("properties") ?? {}) as Json;
  const rows: [string, unknown][] = [];
  if (element.isEdge()) {
    const target = cy().getElementById(element.data("target"));
    const mentions = p.roles as string[] | undefined;
    rows.push(["Identifier", target.data("label")], ["Report", element.data("source")],
      ["Said by", p.by ? `ESP ${p.by}` : "tipgraph"], ["Source", p.source ?? "—"],
      ["Role", mentions ? mentions.map(words).join(", ") : "—"],
      ["Capture", (p.events as string[] | undefined)?.map(words).join(", ") || "—"],
      ["Captured at", (p.captured as string[] | undefined)?.map(when).join(", ") || "—"],
      ["Port", (p.ports as number[] | undefined)?.join(", ") || "—"],
      ["Reported", when(p.at)], ["Basis", p.basis ?? "—"]);
  } else if (element.data("type") === "Report") {
    rows.push(["Report", p.id], ["ESP", p.reporterId], ["Incident", words(p.incidentType)],
      ["Submitted", when(p.finishedAt ?? p.openedAt)], ["Status", words(p.status)],
      ["Priority", p.priority ?? "not set"], ["Disposition", words(p.disposition ?? "PENDING")],
      ["Links", p.degree]);
  } else {
    rows.push(["Identifier", words(p.kind)],
      ["Value", p.value ?? "needs scope pii:read"],
      ["Service or algorithm", p.scope ?? "—"],
      ["First seen", p.firstSeenAt ? when(p.firstSeenAt) : "in no report you may see yet"],
      ["Reports you may see", p.reportCount ?? "—"],
      ["Common", element.data("common") ? "yes: collapsed, expand by time window" : "no"]);
  }
  return h("dl", { class: "facts" }, rows.map(([k, v]) => [h("dt", {}, k),
    h("dd", {}, String(v ?? "—"))]));
}

function hover(element: cytoscape.SingularElementArgument | null): void {
  const c = cy();
  c.elements(".hover").removeClass("hover");
  if (!element) return;
  element.addClass("hover");
  if (element.isNode()) element.connectedEdges().addClass("hover");
  else element.connectedNodes().addClass("hover");
  replace(document.getElementById("card")!, describe(element));
}

// -- actions ---------------------------------------------------------------------------------

interface ExpandOptions { kinds?: string[]; common?: boolean; window?: boolean }

async function expand(id: string, options: ExpandOptions): Promise<void> {
  announce(`Expanding ${id}…`);
  try {
    const preview = (await gql<{ degreePreview: Preview }>(DEGREE_PREVIEW, { id })).data!
      .degreePreview;
    const chosenKinds = options.kinds ?? [...view.kinds];
    const answer = await gql<{ neighborhood: Subgraph }>(NEIGHBORHOOD, {
      id, first: PAGE + 1, common: Boolean(options.common),
      kinds: preview.type === "Report" && chosenKinds.length < KINDS.length ? chosenKinds : null,
      since: options.window && view.since ? `${view.since}T00:00:00Z` : null,
      until: options.window && view.until ? `${view.until}T00:00:00Z` : null,
    });
    const graph = answer.data!.neighborhood;
    const fresh = add(graph, id);
    const node = cy().getElementById(id);
    const shown = node.connectedEdges().length;
    const more = Math.max(preview.total - shown, 0);
    node.data("display", display(node.data() as GNode, more));
    node.toggleClass("more", more > 0);
    node.data("preview", preview);
    view.expanded.add(id);
    node.addClass("expanded");
    select(id);
    announce(`${cy().nodes().length} nodes on screen (+${fresh.length})` +
             (more ? `; ${more} more links not shown — expand by kind or time window` : "") +
             (graph.omittedCommon.length ? `; ${graph.omittedCommon.length} common collapsed`
               : "") + ".");
  } catch (error) {
    announce(`Not expanded: ${(error as Error).message}` +
             (error instanceof ApiError ? ` (${error.code})` : ""));
  }
}

function select(id: string | null): void {
  const c = cy();
  c.nodes(":selected").unselect();
  view.selected = id;
  if (id && !c.getElementById(id).empty()) {
    const node = c.getElementById(id);
    node.select();
    replace(document.getElementById("card")!, describe(node));
  }
  declutter();
  renderActions();
}

function renderActions(): void {
  const box = document.getElementById("actions");
  if (!box) return;
  const id = view.selected;
  if (!id) { replace(box, h("p", {}, "Nothing selected. Click a node, or use the list view.")); return; }
  const node = cy().getElementById(id);
  const preview = node.data("preview") as Preview | undefined;
  const report = node.data("type") === "Report";
  replace(box,
    h("p", {}, h("strong", {}, String(node.data("label")))),
    h("div", { class: "row" },
      h("button", { type: "button", id: "expand", onclick: () => void expand(id, {}) }, "Expand"),
      node.hasClass("common")
        ? h("button", { type: "button", id: "expand-window", onclick: () =>
            void expand(id, { common: true, window: true }) }, "Expand in the time window")
        : null,
      node.hasClass("common") || node.hasClass("more")
        ? h("button", { type: "button", id: "expand-anyway", onclick: () =>
            void expand(id, { common: true }) }, "Expand anyway") : null,
      h("button", { type: "button", id: "preview", onclick: () => void previewOf(id) },
        "Count links"),
      report ? h("a", { href: `#/report/${id}`, class: "button" }, "Open report") : null),
    h("div", { class: "row" },
      h("button", { type: "button", id: "path-from", onclick: () => void pathEnd(0, id) },
        view.ends[0] === id ? "Path from: this" : "Path from here"),
      h("button", { type: "button", id: "path-to", onclick: () => void pathEnd(1, id) },
        view.ends[1] === id ? "Path to: this" : "Path to here")),
    preview && report ? h("div", { class: "row" }, h("span", {}, "Expand one kind: "),
      preview.byType.map((t) => h("button", { type: "button", "data-expand-kind": t.type,
        onclick: () => void expand(id, { kinds: [t.type] }) }, `${words(t.type)} (${t.count})`)))
      : null);
}

async function previewOf(id: string): Promise<void> {
  try {
    const preview = (await gql<{ degreePreview: Preview }>(DEGREE_PREVIEW, { id })).data!
      .degreePreview;
    cy().getElementById(id).data("preview", preview);
    renderActions();
    announce(`${id}: ${preview.total} link(s) you may see — ` +
             preview.byType.map((t) => `${words(t.type)} ${t.count}`).join(", ") + ".");
  } catch (error) {
    announce(`No count: ${(error as Error).message}`);
  }
}

async function pathEnd(which: 0 | 1, id: string): Promise<void> {
  view.ends[which] = id;
  renderActions();
  const [from, to] = view.ends;
  if (!from || !to) {
    announce(`Path ${which === 0 ? "from" : "to"} ${id}; now choose the other end.`);
    return;
  }
  announce(`Looking for a path from ${from} to ${to}…`);
  try {
    const found = (await gql<{ paths: Subgraph[] }>(PATHS, { from, to })).data!.paths;
    cy().elements(".path").removeClass("path");
    if (!found.length) {
      announce(`No path of at most 6 hops between ${from} and ${to} through what you may see.`);
      return;
    }
    for (const graph of found) add(graph, from);
    const [first] = found;
    for (const n of first.nodes) cy().getElementById(n.id).addClass("path");
    for (const e of first.edges) cy().getElementById(e.id).addClass("path");
    declutter();
    announce(`Path found: ${first.edges.length} hop(s)` +
             (found.length > 1 ? `, and ${found.length - 1} other(s) as short` : "") +
             (first.truncated ? " (the search hit its budget: others may exist)" : "") + ".");
  } catch (error) {
    announce(`No path: ${(error as Error).message}`);
  }
}

async function find(text: string): Promise<void> {
  if (!text) return;
  const lower = text.toLowerCase();
  const hit = shown(true).filter((n) => String(n.data("label")).toLowerCase().includes(lower)
                                      || n.id() === text);
  if (hit.length) {
    select(hit[0].id());
    cy().animate({ center: { eles: hit[0] } }, { duration: 200 });
    announce(`Found ${hit.length} node(s) on screen; the first is selected.`);
  } else if (/^\d+$/.test(text) || /^idf_/.test(text)) {
    await expand(text, {});
  } else {
    announce(`Nothing on screen matches "${text}". Give a report id or an identifier id to open.`);
  }
}

function onScreen(): string[] {
  return shown().map((n) => n.id());
}

async function exportAs(format: "PNG" | "GRAPHML" | "JSON"): Promise<void> {
  try {
    const answer = (await gql<{ exportGraph: { fileName: string; mediaType: string;
      content: string | null; nodes: number; edges: number } }>(EXPORT,
      { ids: onScreen(), format })).data!.exportGraph;
    const blob = format === "PNG"
      ? cy().png({ output: "blob", full: true, bg: "#ffffff", scale: 1 }) as unknown as Blob
      : new Blob([answer.content ?? ""], { type: answer.mediaType });
    download(answer.fileName, blob);
    announce(`Exported ${answer.nodes} node(s) and ${answer.edges} link(s) as ${format} ` +
             "(recorded in the audit trail).");
  } catch (error) {
    announce(`Not exported: ${(error as Error).message}`);
  }
}

async function save(): Promise<void> {
  const name = (document.getElementById("view-name") as HTMLInputElement).value.trim();
  const saved = {
    nodes: cy().nodes().map((n) => ({ id: n.id(), x: Math.round(n.position().x),
                                      y: Math.round(n.position().y) })),
    expanded: [...view.expanded], kinds: [...view.kinds], since: view.since, until: view.until,
  };
  try {
    await gql(SAVE_VIEW, { name, view: saved, key: key() });
    announce(`Saved the view "${name}".`);
    await listViews();
  } catch (error) {
    announce(`Not saved: ${(error as Error).message}`);
  }
}

async function listViews(): Promise<void> {
  const box = document.getElementById("views");
  if (!box) return;
  try {
    const views = (await gql<{ savedViews: { name: string; view: Json; savedAt: string }[] }>(
      SAVED_VIEWS)).data!.savedViews;
    replace(box, views.length ? views.map((v) => h("li", {},
      h("button", { type: "button", onclick: () => void openView(v.view) }, v.name),
      ` saved ${when(v.savedAt)}`)) : h("li", {}, "none yet"));
  } catch (error) {
    replace(box, h("li", {}, (error as Error).message));
  }
}

async function openView(saved: Json): Promise<void> {
  const nodes = (saved.nodes as { id: string; x: number; y: number }[]) ?? [];
  try {
    const graph = (await gql<{ subgraph: Subgraph }>(SUBGRAPH_OF, { ids: nodes.map((n) => n.id) }))
      .data!.subgraph;
    cy().elements().remove();
    view.expanded = new Set(((saved.expanded as string[]) ?? []));
    view.kinds = new Set(((saved.kinds as string[]) ?? KINDS));
    view.since = String(saved.since ?? "");
    view.until = String(saved.until ?? "");
    add(graph, null);
    for (const n of nodes) {
      const node = cy().getElementById(n.id);
      if (!node.empty()) node.position({ x: n.x, y: n.y });
      if (view.expanded.has(n.id)) node.addClass("expanded");
    }
    document.querySelectorAll<HTMLInputElement>("[data-kind]").forEach((box) => {
      box.checked = view.kinds.has(box.dataset.kind ?? ""); });
    applyFilters();
    cy().fit(undefined, 30);
    const missing = nodes.length - graph.nodes.length;
    announce(`Opened a saved view: ${graph.nodes.length} node(s)` +
             (missing > 0 ? `; ${missing} you may no longer see left out` : "") + ".");
  } catch (error) {
    announce(`Not opened: ${(error as Error).message}`);
  }
}

// -- list view and keyboard --------------------------------------------------------------------

function toggleList(): void {
  view.listed = !view.listed;
  const list = document.getElementById("list")!;
  list.hidden = !view.listed;
  document.getElementById("cy")!.hidden = view.listed;
  document.getElementById("toggle-list")!.textContent = view.listed ? "Graph view" : "List view";
  if (!view.listed) cy().resize();
  renderList();
  const focused = document.activeElement;
  if (focused === document.body || focused?.id === "cy" || focused?.id === "list") {
    (view.listed ? list : document.getElementById("cy")!).focus();
  }
  announce(view.listed ? "List view." : "Graph view.");
}

function renderList(): void {
  const list = document.getElementById("list");
  if (!list || list.hidden) return;
  const nodes = shown();
  replace(list, h("table", {}, h("caption", {}, "The graph as a list: every node on screen"),
    h("thead", {}, h("tr", {}, ["Node", "Type", "Links shown", "First seen or submitted", ""]
      .map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, nodes.map((n) => {
      const p = n.data("properties") as Json;
      return h("tr", {}, h("td", {}, String(n.data("label"))), h("td", {}, title(n.data("type"))),
        h("td", {}, String(n.connectedEdges().length)),
        h("td", {}, when(p.firstSeenAt ?? p.finishedAt ?? p.openedAt)),
        h("td", {}, h("button", { type: "button", onclick: () => select(n.id()) }, "Select"),
          " ", h("button", { type: "button", onclick: () => void expand(n.id(), {}) }, "Expand")));
    }))));
}

function wire(c: cytoscape.Core, stage: HTMLElement): void {
  c.on("tap", "node", (event) => {
    const id = event.target.id();
    if (view.selected === id && !event.target.hasClass("common")) void expand(id, {});
    else select(id);
  });
  c.on("mouseover", "node, edge", (event) => hover(event.target));
  c.on("mouseout", "node, edge", () => hover(null));
  stage.addEventListener("keydown", (event: KeyboardEvent) => {
    if (event.target instanceof HTMLButtonElement && event.key === "Enter") return;
    const moves: Record<string, [number, number]> = { ArrowLeft: [-1, 0], ArrowRight: [1, 0],
                                                      ArrowUp: [0, -1], ArrowDown: [0, 1] };
    if (event.key in moves) {
      event.preventDefault();
      step(moves[event.key]);
    } else if (event.key === "Enter" && view.selected) {
      event.preventDefault();
      void expand(view.selected, {});
    } else if (event.key.toLowerCase() === "l") {
      toggleList();
    }
  });
}

/** Select the nearest visible node in a direction (the first one when none is selected). */
function step([dx, dy]: [number, number]): void {
  const nodes = shown();
  if (!nodes.length) return;
  const current = view.selected ? cy().getElementById(view.selected) : null;
  if (!current || current.empty()) { select(nodes[0].id()); return; }
  const from = current.position();
  let best: { id: string; d: number } | null = null;
  nodes.forEach((n) => {
    if (n.id() === current.id()) return;
    const p = n.position();
    const along = (p.x - from.x) * dx + (p.y - from.y) * dy;
    if (along <= 0) return;
    const d = Math.hypot(p.x - from.x, p.y - from.y) + Math.abs((p.x - from.x) * dy
      + (p.y - from.y) * dx);
    if (!best || d < best.d) best = { id: n.id(), d };
  });
  const chosen = best as { id: string; d: number } | null;
  if (chosen) {
    select(chosen.id);
    hover(cy().getElementById(chosen.id));
    announce(`Selected ${cy().getElementById(chosen.id).data("label")}.`);
  }
}
