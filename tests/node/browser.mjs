// Debian's Chromium, headless, driven by playwright-core (nothing downloads a browser of its
// own), with every background request of its own turned off: what a page asks for is the page's.
import { chromium } from "playwright-core";

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-dev-shm-usage",
           "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

export async function newPage(browser) {
  return browser.newPage({ viewport: { width: 1280, height: 800 } });
}
