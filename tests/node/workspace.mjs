// Drive the workspace in headless Chromium (Debian's, via playwright-core), as an analyst and
// as law enforcement, against a real tipgraph with demo data. Prints what it saw as JSON;
// screenshots go to the artifacts folder.
//   node tests/node/workspace.mjs CASE.json
// CASE: { url, analyst, le, report, leReport, hiddenReport, artifacts, axe }
// (Each evaluate returns plain data or nothing: a Cytoscape element, returned, would be
// serialised whole and can take the page down.)
import { readFileSync } from "node:fs";
import path from "node:path";
import { launch } from "./browser.mjs";

const c = JSON.parse(readFileSync(process.argv[2], "utf8"));
const axeSource = readFileSync(c.axe, "utf8");
const seen = { requested: [], failed: [], problems: [], axe: {}, analyst: {}, le: {} };
const browser = await launch();

async function page(width = 1280) {
  const context = await browser.newContext({ viewport: { width, height: 800 },
                                             acceptDownloads: true });
  const p = await context.newPage();
  p.on("request", (r) => seen.requested.push(r.url()));
  p.on("requestfailed", (r) => seen.failed.push(`${r.url()} ${r.failure()?.errorText}`));
  p.on("pageerror", (e) => seen.problems.push(String(e)));
  p.on("console", (m) => { if (m.type() === "error") seen.problems.push(m.text()); });
  return p;
}

async function axe(p, name) {
  // evaluated through the DevTools protocol: not a script the page loads
  await p.evaluate(axeSource);
  const result = await p.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: ["wcag2a", "wcag2aa", "wcag21aa"] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length,
      target: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
  });
  seen.axe[name] = result;
}

const shot = (p, name) => p.screenshot({ path: path.join(c.artifacts, `${name}.png`),
                                         fullPage: false });
const status = (p) => p.textContent("#status");
async function waitStatus(p, pattern) {
  await p.waitForFunction((source) => new RegExp(source).test(
    document.getElementById("status").textContent), pattern.source, { timeout: 30000 });
  return status(p);
}

async function signIn(p, token) {
  await p.goto(`${c.url}/workspace`);
  await p.waitForSelector("#token");
  await axe(p, "sign-in");
  await p.fill("#token", token);
  await p.press("#token", "Enter");
}

try {
  // -- the analyst ----------------------------------------------------------------------------
  const a = await page();
  await signIn(a, c.analyst);
  await a.waitForSelector("table.queue tbody tr");
  seen.analyst.tokenField = await a.evaluate(() => document.getElementById("token") === null);
  seen.analyst.queueRows = await a.locator("table.queue tbody tr").count();
  await axe(a, "queue");
  await shot(a, "workspace-queue");
  // triage the first report: priority P1 with a reason
  const first = a.locator("table.queue tbody tr").first();
  const triaged = await first.getAttribute("data-report");
  await first.locator("select[name=priority]").selectOption("P1");
  await first.locator("input[name=reason]").fill("imminent danger described");
  await first.locator("button[value=priority]").click();
  seen.analyst.triaged = { id: triaged, status: await waitStatus(a, /priority P1/) };
  // open the report
  await a.goto(`${c.url}/workspace#/report/${c.report}`);
  await a.waitForSelector("#h-files-and-labels");
  seen.analyst.report = {
    sections: await a.locator("main h2").allTextContents(),
    labelSummary: await a.textContent(".label-summary"),
    labelRows: await a.locator("article.file table tbody tr").count(),
    withheld: await a.locator(".withheld").count(),
  };
  await axe(a, "report");
  await shot(a, "workspace-report");
  // its graph: expand, then expand an identifier it mentions
  await a.click("text=Open in the graph");
  await a.waitForFunction(() => window.cy && window.cy.nodes().length > 1);
  const before = await a.evaluate(() => window.cy.nodes().map((n) => ({ id: n.id(),
    ...n.position() })));
  const identifier = await a.evaluate(() => window.cy.nodes(".Identifier")
    .filter((n) => !n.hasClass("common")).sort((x, y) =>
      y.data("properties").reportCount - x.data("properties").reportCount)[0].id());
  await a.evaluate((id) => { window.cy.getElementById(id).emit("tap"); }, identifier);
  await a.click("#expand");
  await a.waitForFunction((n) => window.cy.nodes().length > n, before.length);
  const after = await a.evaluate(() => Object.fromEntries(window.cy.nodes().map((n) =>
    [n.id(), n.position()])));
  seen.analyst.graph = {
    nodes: Object.keys(after).length,
    moved: before.filter((n) => Math.hypot(after[n.id].x - n.x, after[n.id].y - n.y) > 0.5).length,
    overlappingLabels: await a.evaluate(() => window.workspace.overlappingLabels()),
    labels: await a.evaluate(() => window.cy.nodes().map((n) => n.data("label"))),
  };
  // a path between two reports on screen
  const reports = await a.evaluate((start) => window.cy.nodes(".Report").map((n) => n.id())
    .filter((id) => id !== start), c.report);
  await a.evaluate((id) => { window.cy.getElementById(id).emit("tap"); }, c.report);
  await a.click("#path-from");
  await a.evaluate((id) => { window.cy.getElementById(id).emit("tap"); }, reports[0]);
  await a.click("#path-to");
  seen.analyst.path = await waitStatus(a, /Path found|No path/);
  // hover a link: the card says who said so
  await a.evaluate(() => {
    window.cy.edges().filter((x) => !x.hasClass("common"))[0].emit("mouseover");
  });
  seen.analyst.card = await a.textContent("#card");
  await shot(a, "workspace-graph");
  // exports: each a file, each audited
  seen.analyst.exports = {};
  for (const format of ["graphml", "json", "png"]) {
    const [download] = await Promise.all([a.waitForEvent("download"),
                                          a.click(`#export-${format}`)]);
    const file = await download.path();
    const bytes = readFileSync(file);
    seen.analyst.exports[format] = { name: download.suggestedFilename(), size: bytes.length,
      head: bytes.subarray(0, 8).toString("latin1") };
  }
  // save the view, and find it listed
  await a.fill("#view-name", "case under review");
  await a.press("#view-name", "Enter");
  await waitStatus(a, /Saved the view/);
  await a.waitForSelector("#views li button");
  seen.analyst.views = await a.locator("#views li button").allTextContents();
  // the keyboard: focus the graph, move, open the list view
  await a.focus("#cy");
  await a.keyboard.press("ArrowRight");
  seen.analyst.keyboardSelected = await a.evaluate(() => window.cy.nodes(":selected").length);
  await a.keyboard.press("l");
  seen.analyst.listRows = await a.locator("#list tbody tr").count();
  await axe(a, "graph-list");
  await a.keyboard.press("l");
  await axe(a, "graph");
  // 800 px wide
  await a.setViewportSize({ width: 800, height: 800 });
  await a.waitForTimeout(300);
  seen.analyst.narrow = await a.evaluate(() => ({
    canvas: document.getElementById("cy").getBoundingClientRect().width,
    scroll: document.documentElement.scrollWidth }));
  await shot(a, "workspace-graph-800");
  await a.context().close();

  // -- law enforcement --------------------------------------------------------------------------
  const l = await page();
  await signIn(l, c.le);
  await l.waitForSelector("ol.agency-queue li");
  seen.le.queue = await l.locator("ol.agency-queue li > a").evaluateAll((links) =>
    links.map((link) => link.getAttribute("href").split("/").pop()));
  await axe(l, "agency-queue");
  await shot(l, "workspace-le-queue");
  await l.goto(`${c.url}/workspace#/report/${c.leReport}`);
  await l.waitForSelector("#h-files-and-labels");
  seen.le.withheld = await l.locator(".withheld").allTextContents();
  await axe(l, "le-report");
  await shot(l, "workspace-le-report");
  await l.goto(`${c.url}/workspace#/report/${c.hiddenReport}`);
  await l.waitForSelector("main [role=alert]");
  seen.le.hidden = await l.textContent("main [role=alert]");
  await l.context().close();
} catch (error) {
  seen.problems.push(`driver: ${error.stack ?? error}`);
} finally {
  await browser.close();
}
console.log(JSON.stringify(seen));
