// The queue: analysts triage every report they may see (filters, order, cursor pages,
// priority and disposition with a reason); law enforcement reads its referrals in the order
// the agency queue ranks them, each rank explained.
import { ApiError, can, gql, key } from "./api";
import { announce, h, replace } from "./dom";
import { when, words } from "./format";
import { AGENCY_QUEUE, QUEUE, SET_DISPOSITION, SET_PRIORITY } from "./queries";

interface Row {
  id: string; status: string; incidentType: string; finishedAt: string | null;
  openedAt: string; priority: string; disposition: string;
  escalateToHighPriority: string | null; annotations: string[];
  reporter: { id: string; name: string };
}

const PAGE = 25;
const PRIORITIES = ["P1", "P2", "P3", "UNSET"];
const DISPOSITIONS = ["PENDING", "REFERRAL", "INFORMATIONAL"];
const INCIDENTS = ["CHILD_PORNOGRAPHY", "CHILD_SEX_TRAFFICKING", "CHILD_SEX_TOURISM",
  "CHILD_SEXUAL_MOLESTATION", "MISLEADING_DOMAIN_NAME", "MISLEADING_WORDS_OR_DIGITAL_IMAGES",
  "ONLINE_ENTICEMENT", "UNSOLICITED_OBSCENE_MATERIAL_TO_CHILD"];
const ORDERS: Record<string, { field: string; direction: string }[]> = {
  "priority, then oldest": [],
  "newest submitted": [{ field: "SUBMITTED_AT", direction: "DESC" }],
  "oldest submitted": [{ field: "SUBMITTED_AT", direction: "ASC" }],
  "report id": [{ field: "ID", direction: "ASC" }],
};

// The analyst's place in the queue survives moving to a report and back (memory only).
const state = {
  filter: { priorities: [] as string[], dispositions: ["PENDING"], incidentTypes: [] as string[],
            hasEscalation: false, collapseBundles: false },
  order: "priority, then oldest",
  cursors: [null] as (string | null)[],  // the cursor each page starts after
};

export async function showQueue(main: HTMLElement): Promise<void> {
  if (can("report:triage")) await analystQueue(main);
  else await agencyQueue(main, 0);
}

function choices(legend: string, values: string[], chosen: string[]): HTMLFieldSetElement {
  return h("fieldset", { class: "choices" }, h("legend", {}, legend),
    values.map((value) => h("label", {},
      h("input", { type: "checkbox", value, checked: chosen.includes(value),
        onchange: (event: Event) => {
          const box = event.target as HTMLInputElement;
          const at = chosen.indexOf(value);
          if (box.checked && at < 0) chosen.push(value);
          if (!box.checked && at >= 0) chosen.splice(at, 1);
        } }), ` ${/^P\d$/.test(value) ? value : words(value)}`)));
}

async function analystQueue(main: HTMLElement): Promise<void> {
  const filter = state.filter;
  const form = h("form", { class: "filters", "aria-label": "Queue filters",
      onsubmit: (event: Event) => { event.preventDefault(); state.cursors = [null];
                                    void analystQueue(main); } },
    choices("Priority", PRIORITIES, filter.priorities),
    choices("Disposition", DISPOSITIONS, filter.dispositions),
    choices("Incident", INCIDENTS, filter.incidentTypes),
    h("fieldset", { class: "choices" }, h("legend", {}, "Other"),
      h("label", {}, h("input", { type: "checkbox", checked: filter.hasEscalation,
        onchange: (e: Event) => { filter.hasEscalation = (e.target as HTMLInputElement).checked; }
      }), " escalated by the ESP"),
      h("label", {}, h("input", { type: "checkbox", checked: filter.collapseBundles,
        onchange: (e: Event) => {
          filter.collapseBundles = (e.target as HTMLInputElement).checked; } }),
        " one line per viral bundle"),
      h("label", {}, "Order ", h("select", { id: "order",
        onchange: (e: Event) => { state.order = (e.target as HTMLSelectElement).value; } },
        Object.keys(ORDERS).map((name) => h("option", { value: name,
                                                      selected: name === state.order }, name))))),
    h("button", { type: "submit" }, "Apply"));
  const table = h("div", { id: "queue-table" }, "Loading…");
  replace(main, h("h1", {}, "Triage queue"), form, table);
  const page = state.cursors.length - 1;
  try {
    const answer = await gql<{ reports: { totalCount: number;
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
      edges: { cursor: string; node: Row }[] } }>(QUEUE, {
      first: PAGE, after: state.cursors[page],
      filter: { status: ["SUBMITTED"],
        ...(filter.priorities.length ? { priorities: filter.priorities } : {}),
        ...(filter.dispositions.length ? { dispositions: filter.dispositions } : {}),
        ...(filter.incidentTypes.length ? { incidentTypes: filter.incidentTypes } : {}),
        ...(filter.hasEscalation ? { hasEscalation: true } : {}),
        collapseBundles: filter.collapseBundles },
      orderBy: ORDERS[state.order].length ? ORDERS[state.order] : null });
    const reports = answer.data!.reports;
    const rows = reports.edges.map((edge) => edge.node);
    replace(table,
      h("p", {}, `${reports.totalCount} report(s); page ${page + 1}.`),
      rowsTable(rows, true, () => void analystQueue(main)),
      h("nav", { class: "pager", "aria-label": "Queue pages" },
        h("button", { type: "button", disabled: page === 0,
          onclick: () => { state.cursors.pop(); void analystQueue(main); } }, "Previous page"),
        h("button", { type: "button", id: "next-page", disabled: !reports.pageInfo.hasNextPage,
          onclick: () => { state.cursors.push(reports.pageInfo.endCursor); void analystQueue(main); }
        }, "Next page")));
    announce(`Queue: ${rows.length} of ${reports.totalCount} report(s) shown.`);
  } catch (error) {
    replace(table, h("p", { class: "error", role: "alert" }, (error as Error).message));
  }
}

async function agencyQueue(main: HTMLElement, offset: number): Promise<void> {
  replace(main, h("h1", {}, "Your agency's referrals"), h("p", {}, "Loading…"));
  try {
    const answer = await gql<{ agencyQueue: { totalCount: number; items: {
      rank: number; score: number; report: Row;
      signals: { name: string; weight: number; value: number; explanation: string }[] }[] } }>(
      AGENCY_QUEUE, { first: PAGE, offset });
    const queue = answer.data!.agencyQueue;
    const list = h("ol", { class: "agency-queue", start: offset + 1 },
      queue.items.map((item) => h("li", { class: "queued" },
        h("a", { href: `#/report/${item.report.id}` },
          `Report ${item.report.id} · ${words(item.report.incidentType)}`),
        ` — score ${item.score.toFixed(2)}, submitted ${when(item.report.finishedAt)}`,
        h("details", {}, h("summary", {}, "Why this rank"),
          h("ul", {}, item.signals.filter((s) => s.value > 0).map((s) =>
            h("li", {}, `${words(s.name)} (weight ${s.weight}): ${s.explanation}`)))))));
    replace(main, h("h1", {}, "Your agency's referrals"),
      h("p", {}, `${queue.totalCount} report(s) referred to your agency, most urgent first.`),
      list,
      h("nav", { class: "pager", "aria-label": "Queue pages" },
        h("button", { type: "button", disabled: offset === 0,
          onclick: () => void agencyQueue(main, Math.max(offset - PAGE, 0)) }, "Previous page"),
        h("button", { type: "button", disabled: offset + PAGE >= queue.totalCount,
          onclick: () => void agencyQueue(main, offset + PAGE) }, "Next page")));
    announce(`Agency queue: ${queue.items.length} of ${queue.totalCount} report(s) shown.`);
  } catch (error) {
    replace(main, h("h1", {}, "Your agency's referrals"),
      h("p", { class: "error", role: "alert" }, (error as Error).message));
  }
}

export function rowsTable(rows: Row[], actions: boolean, changed: () => void): HTMLTableElement {
  return h("table", { class: "queue" },
    h("caption", { class: "visually-hidden" }, "Reports"),
    h("thead", {}, h("tr", {}, ["Report", "Incident", "ESP", "Submitted", "Priority",
      "Disposition", "Escalated", actions ? "Actions" : null].filter(Boolean).map(
      (name) => h("th", { scope: "col" }, name as string)))),
    h("tbody", {}, rows.map((row) => h("tr", { "data-report": row.id },
      h("td", {}, h("a", { href: `#/report/${row.id}` }, row.id)),
      h("td", {}, words(row.incidentType)),
      h("td", {}, row.reporter.name),
      h("td", {}, when(row.finishedAt)),
      h("td", { class: `priority ${row.priority}` }, row.priority === "UNSET" ? "not set"
        : row.priority),
      h("td", {}, words(row.disposition)),
      h("td", {}, row.escalateToHighPriority ? `yes: ${row.escalateToHighPriority}` : "no"),
      actions ? h("td", {}, decide(row, changed)) : null))));
}

/** Priority and disposition, each with the reason the history keeps. */
export function decide(row: { id: string; priority: string; disposition: string },
                       changed: () => void): HTMLFormElement {
  const reason = h("input", { name: "reason", required: true, maxlength: 2000,
                              "aria-label": `Reason for report ${row.id}`,
                              placeholder: "reason (kept in the history)" });
  const priority = h("select", { name: "priority", "aria-label": `Priority of report ${row.id}` },
    PRIORITIES.map((p) => h("option", { value: p, selected: p === row.priority }, p)));
  const disposition = h("select", { name: "disposition",
                                    "aria-label": `Disposition of report ${row.id}` },
    DISPOSITIONS.filter((d) => d !== "PENDING").map((d) =>
      h("option", { value: d, selected: d === row.disposition }, words(d))));
  const form = h("form", { class: "decide" }, priority,
    h("button", { type: "submit", name: "what", value: "priority" }, "Set priority"),
    disposition, can("report:refer")
      ? h("button", { type: "submit", name: "what", value: "disposition" }, "Decide") : null,
    reason);
  form.addEventListener("submit", async (event: SubmitEvent) => {
    event.preventDefault();
    const what = (event.submitter as HTMLButtonElement | null)?.value ?? "priority";
    if (!reason.value.trim()) {
      announce("Give a reason: it is kept in the report's history.");
      reason.focus();
      return;
    }
    try {
      if (what === "priority") {
        await gql(SET_PRIORITY, { id: row.id, priority: priority.value,
                                  reason: reason.value.trim(), key: key() });
        announce(`Report ${row.id}: priority ${priority.value}.`);
      } else {
        await gql(SET_DISPOSITION, { id: row.id, disposition: disposition.value,
                                     reason: reason.value.trim(), key: key() });
        announce(`Report ${row.id}: ${words(disposition.value)}.`);
      }
      changed();
    } catch (error) {
      announce(`Report ${row.id} was not changed: ${(error as Error).message}` +
               (error instanceof ApiError ? ` (${error.code})` : ""));
    }
  });
  return form;
}
