import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright";
const base = process.argv[2], path = process.argv[3] ?? "/";
const ctx = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), "p-")), { baseURL: base, executablePath: "/usr/bin/chromium", args: ["--no-sandbox","--disable-background-networking","--disable-component-update","--disable-sync","--disable-quic"] });
await ctx.request.post("/api/v1/session", { data: { email: "alice@example.com", password: "demo-password" }, headers: { Origin: base } });
async function visit(profile) {
  const page = await ctx.newPage();
  const cdp = await ctx.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 150, downloadThroughput: 200000, uploadThroughput: 93750 });
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: 4 });
  if (profile) { await cdp.send("Profiler.enable"); await cdp.send("Profiler.setSamplingInterval", { interval: 200 }); await cdp.send("Profiler.start"); }
  await page.goto(path, { waitUntil: "commit" });
  await page.waitForFunction(() => document.querySelector(".connection-live") !== null, null, { polling: 250 });
  let result = null;
  if (profile) result = (await cdp.send("Profiler.stop")).profile;
  await page.waitForTimeout(5000);
  await page.close();
  return result;
}
await visit(false);
const p = await visit(true);
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const self = new Map();
const dt = p.timeDeltas; let total = 0;
for (let i = 0; i < p.samples.length; i++) { const n = byId.get(p.samples[i]); const f = n.callFrame; const key = `${f.functionName || "(anon)"} ${f.url.split("/").pop()}`; self.set(key, (self.get(key) ?? 0) + (dt[i] ?? 0)); total += dt[i] ?? 0; }
console.log("total ms", (total / 1000).toFixed(0));
for (const [k, v] of [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log((v / 1000).toFixed(0).padStart(6), k.slice(0, 120));
await ctx.close();
