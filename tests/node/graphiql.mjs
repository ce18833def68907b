// Drive GraphiQL in headless Chromium (Debian's, via playwright-core): it must load from
// tipgraph alone, open on tipgraph's example, run it with a pasted token, and keep that token
// out of localStorage. Prints what it saw as JSON; saves a screenshot.
//   node tests/node/graphiql.mjs URL TOKEN SCREENSHOT
import { launch, newPage } from "./browser.mjs";

const [url, token, screenshot] = process.argv.slice(2);
const browser = await launch();
try {
  const page = await newPage(browser);
  const requested = [];
  const failed = [];
  page.on("request", (request) => requested.push(request.url()));
  page.on("requestfailed", (request) => failed.push(request.url()));
  const problems = [];
  page.on("pageerror", (error) => problems.push(String(error)));
  await page.goto(`${url}/graphql`, { waitUntil: "networkidle" });
  await page.waitForSelector(".graphiql-container .CodeMirror");
  const document = await page.evaluate(
    () => window.document.querySelector(".graphiql-query-editor .CodeMirror").CodeMirror.getValue());
  // paste the token into the headers editor, and run the example
  await page.evaluate((bearer) => {
    const editors = [...window.document.querySelectorAll(".graphiql-editor-tool .CodeMirror")];
    const headers = editors.find((e) => e.CodeMirror.getValue().includes("Authorization"));
    headers.CodeMirror.setValue(JSON.stringify({ Authorization: `Bearer ${bearer}` }));
  }, token);
  await page.click(".graphiql-execute-button");
  await page.waitForFunction(
    () => window.document.querySelector(".result-window")?.textContent.includes("totalCount"),
    null, { timeout: 30000 });
  const result = await page.evaluate(
    () => window.document.querySelector(".result-window .CodeMirror").CodeMirror.getValue());
  await page.screenshot({ path: screenshot });
  const storage = await page.evaluate(() => JSON.stringify({ ...window.localStorage }));
  console.log(JSON.stringify({
    requested, failed, problems, document, result: JSON.parse(result),
    tokenStored: storage.includes(token), storageKeys: Object.keys(JSON.parse(storage)),
  }));
} finally {
  await browser.close();
}
