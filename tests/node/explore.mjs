// Drive the explorer page in headless Chromium (Debian's, via playwright-core): paste a token,
// open a report, expand a node by clicking it, hover a link; save a screenshot.
//   node tests/node/explore.mjs URL TOKEN REPORT_ID SCREENSHOT
import { launch, newPage } from "./browser.mjs";

const [url, token, reportId, screenshot] = process.argv.slice(2);
const browser = await launch();
try {
  const page = await newPage(browser);
  await page.goto(`${url}/explore`);
  await page.fill("#token", token);
  await page.fill("#report", reportId);
  await page.press("#report", "Enter");  // Enter opens it, as the button does
  await page.waitForFunction(() => window.cy && window.cy.nodes().length > 1);
  const opened = await page.evaluate(() => window.cy.nodes().map((n) => n.id()));
  // click an identifier the report mentions (not a common one): its reports appear
  const target = await page.evaluate(() => {
    const node = window.cy.nodes(".Identifier").filter((n) => !n.hasClass("common"))[0];
    const box = node.renderedBoundingBox();
    const frame = document.getElementById("cy").getBoundingClientRect();
    return { id: node.id(), x: frame.left + (box.x1 + box.x2) / 2,
             y: frame.top + (box.y1 + box.y2) / 2 };
  });
  await page.mouse.click(target.x, target.y);
  await page.waitForFunction((count) => window.cy.nodes().length > count, opened.length);
  // hover a link: the provenance panel says who said so
  const edge = await page.evaluate(() => {
    const e = window.cy.edges().filter((x) => !x.hasClass("common"))[0];
    const mid = e.renderedMidpoint();
    const frame = document.getElementById("cy").getBoundingClientRect();
    return { x: frame.left + mid.x, y: frame.top + mid.y };
  });
  await page.mouse.move(edge.x, edge.y);
  await page.waitForTimeout(300);
  const why = await page.textContent("#why");
  await page.screenshot({ path: screenshot, fullPage: true });
  const drawn = await page.evaluate(() => ({
    nodes: window.cy.nodes().map((n) => ({ id: n.id(), type: n.data("type"),
                                           common: n.hasClass("common") })),
    edges: window.cy.edges().length,
    status: document.getElementById("status").textContent,
  }));
  console.log(JSON.stringify({ opened, expanded: target.id, why, ...drawn }));
} finally {
  await browser.close();
}
