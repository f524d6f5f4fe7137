// First-load measurement: how fast a signed-in page comes alive on a phone.
//
// Chromium with network and CPU emulation (1.6 Mbit/s down, 750 kbit/s up,
// 150 ms round trip, CPU 4x slower). For each page: a first visit with an
// empty cache, then a repeat visit in the same browser. Prints bytes on the
// wire, first contentful paint and the time until the header's "Live" badge
// shows (the page is hydrated and its stream open), all from navigation start.
//
//   node measure/first-load.mjs <base URL> <label> <path> [<path> …]
//
// The path `shipment` stands for alice's most recently updated shipment.
// Run by scripts/first-load, which starts the debug and the release server.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright";

const [base, label, ...paths] = process.argv.slice(2);
if (!base || !label || paths.length === 0) {
  console.error("usage: node measure/first-load.mjs <base URL> <label> <path> [<path> …]");
  process.exit(2);
}
const PROFILE = { latency: 150, download: 1_600_000 / 8, upload: 750_000 / 8, cpu: 4 };

/**
 * A browser with a profile on disk, as a visitor's is: an incognito-like
 * context keeps no compiled code between visits, so every repeat visit would
 * compile the bundle again.
 */
async function signedInContext(profileDir) {
  const context = await chromium.launchPersistentContext(profileDir, {
    baseURL: base,
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic"],
  });
  const signIn = await context.request.post("/api/v1/session", {
    data: { email: "alice@example.com", password: "demo-password" },
    headers: { Origin: base },
  });
  if (signIn.status() !== 200) throw new Error(`sign-in failed: ${signIn.status()}`);
  return context;
}

/** One visit: loads `path` under emulation and waits for the Live badge. */
async function visit(context, path) {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: PROFILE.latency,
    downloadThroughput: PROFILE.download,
    uploadThroughput: PROFILE.upload,
  });
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: PROFILE.cpu });
  let bytes = 0;
  cdp.on("Network.loadingFinished", (event) => (bytes += event.encodedDataLength));
  // The moment the badge turns Live, seen from inside the page (polling from
  // here would add the polling interval under a 4x slower CPU).
  await page.addInitScript(() => {
    window.__liveAt = null;
    window.__hydratedAt = null;
    new MutationObserver(() => {
      if (window.__hydratedAt === null && document.querySelector("[data-hydrated=true]")) {
        window.__hydratedAt = performance.now();
      }
      const badge = document.querySelector(".connection[role=status]");
      if (window.__liveAt === null && badge && !badge.hidden && badge.textContent.trim() === "Live") {
        window.__liveAt = performance.now();
      }
    }).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
  });
  await page.goto(path, { waitUntil: "commit", timeout: 180_000 });
  // A cheap check a few times a second: Playwright's role locators compute
  // styles and ARIA roles on the page's (4x slowed) main thread, which
  // delayed the very page being measured by a quarter of a second.
  await page.waitForFunction(() => window.__liveAt !== null, null, { polling: 250, timeout: 180_000 });
  const timing = await page.evaluate(() => ({
    live: window.__liveAt ?? performance.now(),
    fcp: performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? NaN,
    // Where the time went (printed on stderr): the bundle's arrival.
    wasm: performance.getEntriesByType("resource").find((e) => e.name.endsWith(".wasm"))?.responseEnd ?? NaN,
    html: performance.getEntriesByType("navigation")[0]?.responseEnd ?? NaN,
    hydrated: window.__hydratedAt ?? NaN,
  }));
  const at = (ms) => `${(ms / 1000).toFixed(2)} s`;
  console.error(
    `  ${path}: page received ${at(timing.html)}, bundle ${at(timing.wasm)}, hydrated ${at(timing.hydrated)}, Live ${at(timing.live)}`,
  );
  // A visitor reads the page for a while: late responses (the worker script)
  // finish counting, and Chromium gets to store the compiled bundle in its
  // code cache (V8 does so once the module has run for ~2 s), as it would
  // for anyone coming back. A measurement, not synchronisation.
  await page.waitForTimeout(5000);
  await page.close();
  return { bytes, fcp: timing.fcp, live: timing.live };
}

const rows = [];
for (const wanted of paths) {
  const profileDir = mkdtempSync(join(tmpdir(), "shipwatch-first-load-"));
  const context = await signedInContext(profileDir);
  let path = wanted;
  if (wanted === "shipment") {
    const list = await (await context.request.get("/api/v1/shipments?limit=1")).json();
    path = `/shipments/${list.shipments[0].tracking_number}`;
  }
  // The server's own first request (connections, caches) is not the page's
  // cost: warm it, outside the browser's cache.
  await context.request.get(path);
  const first = await visit(context, path);
  const repeat = await visit(context, path);
  await context.close();
  rmSync(profileDir, { recursive: true, force: true });
  rows.push({ path, first, repeat });
}

const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
for (const { path, first, repeat } of rows) {
  console.log(
    `| ${label} | ${path} | ${kb(first.bytes)} | ${s(first.fcp)} | ${s(first.live)} | ${kb(repeat.bytes)} | ${s(repeat.fcp)} | ${s(repeat.live)} |`,
  );
}
