// One report, every part of it: what the ESP sent, each file with its labels and who gave
// them (in the words of the referral package), cross-references with their reasons, the
// history, referrals and outcomes. A field the token may not read says which scope it needs.
import { can, gql, withheld, type GqlError } from "./api";
import { announce, h, replace } from "./dom";
import { title, when, words, yesNo } from "./format";
import { PEOPLE_FIELDS } from "./generated";
import { decide } from "./queue";
import { CROSS_REFERENCES, REPORT, reportPart } from "./queries";

type Json = Record<string, unknown>;

const SOURCES: Record<string, string> = {
  ESP: "the ESP", ANALYST: "an analyst", AUTOMATED: "automated", MATCH: "a hash-list match",
};
// Shown in sections of their own, not among the facts
const OWN_SECTIONS = new Set(["id", "files", "identifiers", "referrals", "history", "labelSummary",
  "jurisdictions", "notes", "reporter", "status", "incidentType", "priority", "disposition",
  "reportedPeople", "victims", "intendedRecipients", "internetDetails", "lawEnforcement",
  "reporterContact", "suggestedAgencies", "suggestedPriority", "enrichment", "bundle",
  "crossReferences"]);

export async function showReport(main: HTMLElement, id: string): Promise<void> {
  replace(main, h("h1", {}, `Report ${id}`), h("p", {}, "Loading…"));
  try {
    const [whole, ...parts] = await Promise.all([
      gql<{ report: Json | null }>(REPORT, { id }),
      ...Object.values(PEOPLE_FIELDS).map((fields) =>
        gql<{ report: Json | null }>(reportPart(fields), { id })),
      gql<{ report: Json | null }>(CROSS_REFERENCES, { id }),
    ]);
    const report = whole.data?.report;
    if (!report) {
      replace(main, h("h1", {}, `Report ${id}`),
        h("p", { role: "alert" }, "No such report, or it is not yours to see."));
      announce(`Report ${id}: not found.`);
      return;
    }
    const errors: GqlError[] = [...whole.errors];
    for (const part of parts) {
      Object.assign(report, part.data?.report ?? {});
      errors.push(...part.errors);
    }
    render(main, report, withheld(errors), () => void showReport(main, id));
    announce(`Report ${id} opened.`);
  } catch (error) {
    replace(main, h("h1", {}, `Report ${id}`),
      h("p", { class: "error", role: "alert" }, (error as Error).message));
  }
}

function render(main: HTMLElement, report: Json, denied: Map<string, string>,
                changed: () => void): void {
  const id = String(report.id);
  const facts = Object.fromEntries(Object.entries(report).filter(([k]) => !OWN_SECTIONS.has(k)));
  replace(main,
    h("h1", {}, `Report ${id}`, " ", h("span", { class: "badge" }, words(report.status))),
    h("p", { class: "lede" }, `${words(report.incidentType)} · reported by ` +
      `${(report.reporter as Json).name} (${(report.reporter as Json).id}) · priority ` +
      `${report.priority === "UNSET" ? "not set" : report.priority} · ${words(report.disposition)}`,
      " · ", h("a", { href: `#/graph/${id}` }, "Open in the graph")),
    can("report:triage") ? section("Decide", decide({ id, priority: String(report.priority),
      disposition: String(report.disposition) }, changed)) : null,
    section("The report", value(facts, "report", denied)),
    section("Files and labels", files(report, denied)),
    section("Identifiers", identifiers(report)),
    ["reportedPeople", "victims", "intendedRecipients"].map((part) =>
      section(title(part), value(report[part], `report.${part}`, denied))),
    ["internetDetails", "lawEnforcement", "reporterContact", "bundle", "enrichment",
     "suggestedPriority", "suggestedAgencies"].map((part) =>
      section(title(part), value(report[part], `report.${part}`, denied))),
    section("Jurisdictions", table(report.jurisdictions as Json[] | null, "report.jurisdictions",
      denied, ["jurisdiction", "basis", "source", "by", "at", "confidence", "reason"])),
    section("Cross-references", crossReferences(report)),
    section("Referrals and outcomes", referrals(report, denied)),
    section("History", table(report.history as Json[] | null, "report.history", denied,
      ["at", "kind", "source", "by", "reason", "before", "after", "fileId"])),
    can("report:triage") ? section("Notes", table(report.notes as Json[] | null, "report.notes",
      denied, ["at", "by", "text"])) : null);
}

function section(name: string, ...body: (Node | null)[]): HTMLElement {
  const slug = name.toLowerCase().replace(/[^a-z]+/g, "-");
  return h("section", { "aria-labelledby": `h-${slug}` }, h("h2", { id: `h-${slug}` }, name),
           body);
}

/** What a withheld field shows, never a blank: the scope it needs, or why it is withheld. */
function needs(why: string): HTMLElement {
  return h("span", { class: "withheld" }, why);
}

function scalar(key: string, v: unknown): string {
  if (typeof v === "boolean") return yesNo(v);
  if (/(At|Date|DateTime|Timestamp|dateTime|Until|Seen)$/.test(key) || key === "at") {
    return when(v);
  }
  if (Array.isArray(v)) return v.length ? v.map((x) => String(x)).join(", ") : "none";
  if (typeof v === "string" && /^[A-Z0-9_]+$/.test(v) && v.length > 3) return words(v);
  return v === null || v === undefined ? "—" : String(v);
}

/** Any part of a report, as a definition list; withheld fields name their scope. */
function value(v: unknown, path: string, denied: Map<string, string>): Node {
  if (denied.has(path)) return needs(denied.get(path)!);
  if (v === null || v === undefined) return h("span", { class: "none" }, "none given");
  if (Array.isArray(v)) {
    if (!v.length) return h("span", { class: "none" }, "none");
    if (v.every((x) => typeof x !== "object" || x === null)) return document.createTextNode(
      scalar("", v));
    return h("ol", { class: "parts" }, v.map((item, i) =>
      h("li", {}, value(item, `${path}.${i}`, denied))));
  }
  if (typeof v === "object") {
    const entries = Object.entries(v as Json);
    return h("dl", { class: "facts" }, entries.map(([k, x]) => [
      h("dt", {}, title(k)),
      h("dd", {}, denied.has(`${path}.${k}`) ? needs(denied.get(`${path}.${k}`)!)
        : x !== null && typeof x === "object" && !(Array.isArray(x) && x.every(
          (y) => typeof y !== "object"))
          ? value(x, `${path}.${k}`, denied) : scalar(k, x)),
    ]));
  }
  return document.createTextNode(String(v));
}

function table(rows: Json[] | null, path: string, denied: Map<string, string>,
               columns: string[]): Node {
  if (denied.has(path)) return needs(denied.get(path)!);
  if (!rows || !rows.length) return h("p", { class: "none" }, "none");
  return h("table", {}, h("thead", {}, h("tr", {}, columns.map((c) =>
    h("th", { scope: "col" }, title(c))))),
    h("tbody", {}, rows.map((row, i) => h("tr", {}, columns.map((c) => {
      const cell = row[c];
      if (denied.has(`${path}.${i}.${c}`)) return h("td", {}, needs(denied.get(`${path}.${i}.${c}`)!));
      if (c === "jurisdiction" && cell) {
        return h("td", {}, `${(cell as Json).name} (${(cell as Json).code})`);
      }
      if (c === "source") return h("td", {}, SOURCES[String(cell)] ?? scalar(c, cell));
      return h("td", {}, scalar(c, cell));
    })))));
}

function files(report: Json, denied: Map<string, string>): Node {
  if (denied.has("report.files")) return needs(denied.get("report.files")!);
  const list = (report.files as Json[] | null) ?? [];
  return h("div", {},
    h("p", { class: "label-summary" }, String(report.labelSummary ?? "No files were reported.")),
    list.map((file, i) => h("article", { class: "file", "data-file": String(file.id) },
      h("h3", {}, String(file.fileName ?? `file ${file.id}`)),
      h("p", {}, `Viewed by the ESP: ${yesNo(file.viewedByEsp)}; EXIF viewed: ` +
        `${yesNo(file.exifViewedByEsp)}; publicly available: ${yesNo(file.publiclyAvailable)}` +
        `; content held: ${yesNo(file.contentStored)}.`),
      h("h4", {}, "Labels, and who gave them"),
      table(file.classifications as Json[], `report.files.${i}.classifications`, denied,
        ["label", "scheme", "source", "by", "at", "basis", "retiredAt"]),
      h("h4", {}, "Hashes"),
      table(file.hashes as Json[], `report.files.${i}.hashes`, denied,
        ["algorithm", "value", "source"]),
      h("details", {}, h("summary", {}, "Everything the ESP said of this file"),
        value(Object.fromEntries(Object.entries(file).filter(([k]) =>
          !["classifications", "hashes", "labelsByScheme"].includes(k))),
          `report.files.${i}`, denied)))));
}

function identifiers(report: Json): Node {
  const rows = (report.identifiers as Json[] | null) ?? [];
  if (!rows.length) return h("p", { class: "none" }, "none");
  return h("table", {}, h("thead", {}, h("tr", {}, ["Role", "Kind", "Value", "Service or algorithm",
    "Capture", "Port", "Reports you may see", "Given by"].map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, rows.map((row) => {
      const identifier = row.identifier as Json;
      return h("tr", {},
        h("td", {}, words(row.role)), h("td", {}, words(identifier.kind)),
        h("td", {}, identifier.value === null ? needs("needs scope pii:read")
          : h("a", { href: `#/graph/${identifier.id}` }, String(identifier.value))),
        h("td", {}, String(identifier.scope ?? "—")),
        h("td", {}, row.event ? `${words(row.event)} ${when(row.at)}` : when(row.at)),
        h("td", {}, String(row.port ?? "—")),
        h("td", {}, `${identifier.reportCount}${identifier.common ? " (common)" : ""}`),
        h("td", {}, SOURCES[String(row.source)] ?? String(row.source)));
    })));
}

function crossReferences(report: Json): Node {
  const refs = (report.crossReferences as Json[] | null) ?? [];
  if (!refs.length) return h("p", { class: "none" }, "No report you may see shares an identifier.");
  return h("ol", {}, refs.map((ref) => {
    const other = ref.report as Json;
    return h("li", {}, h("a", { href: `#/report/${other.id}` }, `Report ${other.id}`),
      ` (${words(other.incidentType)}, ${when(other.finishedAt)}) — score `,
      `${Number(ref.score).toFixed(2)}: ${ref.explanation}`);
  }));
}

function referrals(report: Json, denied: Map<string, string>): Node {
  if (denied.has("report.referrals")) return needs(denied.get("report.referrals")!);
  const list = (report.referrals as Json[] | null) ?? [];
  if (!list.length) return h("p", { class: "none" }, "Not referred.");
  return h("ul", {}, list.map((referral) => h("li", {},
    `Referred to ${(referral.agency as Json).name} by ${referral.by} on ${when(referral.at)}: ` +
    `${referral.reason}.`,
    h("ul", {}, ((referral.outcomes as Json[]) ?? []).map((o) => h("li", {},
      `${words(o.outcome)} — ${o.by}, ${when(o.at)}${o.note ? `: ${o.note}` : ""}`))))));
}
