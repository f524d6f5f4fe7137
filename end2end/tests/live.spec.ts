import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import path from "node:path";
import { type APIRequestContext, type Page } from "@playwright/test";
import { DEMO_PASSWORD, expect, signIn, test } from "./helpers";

const ROOT = path.resolve(__dirname, "../..");
const SERVER = path.join(ROOT, process.env.E2E_SERVER ?? "target/debug/server");

/** Alice's shipments in a status, read through the API as alice. */
async function alicesShipmentsIn(request: APIRequestContext, baseURL: string, status: string) {
  const signedIn = await request.post(`${baseURL}/api/v1/session`, {
    data: { email: "alice@example.com", password: DEMO_PASSWORD },
    headers: { Origin: baseURL },
  });
  expect(signedIn.status()).toBe(200);
  const list = await (await request.get(`${baseURL}/api/v1/shipments?status=${status}&limit=200`)).json();
  return (list.shipments as { tracking_number: string }[]).map((s) => s.tracking_number);
}

function row(page: Page, trackingNumber: string) {
  return page.locator(`tr[data-tracking-number="${trackingNumber}"]`);
}

test("an operator posts a status and alice's dashboard row changes without reload", async ({ browser, request, baseURL }) => {
  const [number] = await alicesShipmentsIn(request, baseURL!, "in_transit");

  const alice = await (await browser.newContext()).newPage();
  await signIn(alice, "alice@example.com");
  // Searching keeps the row in view whatever page its age would put it on.
  await alice.goto(`/?q=${number}`);
  await expect(alice.getByRole("status").filter({ hasText: "Live" })).toBeVisible();
  await alice.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
  await expect(row(alice, number)).toContainText("In transit");

  const operator = await (await browser.newContext()).newPage();
  await signIn(operator, "ops@example.com");
  await operator.goto(`/shipments/${number}`);
  const form = operator.getByRole("region", { name: "Post a status" });
  // Only legal next states are offered.
  const offered = await form.getByLabel("New status").locator("option").allTextContents();
  expect(offered).toContain("Out for delivery");
  expect(offered).not.toContain("Pending");
  await form.getByLabel("New status").selectOption({ label: "Out for delivery" });
  await form.getByLabel("Location").fill("Vienna depot");
  await form.getByRole("button", { name: "Post status" }).click();

  await expect(row(alice, number)).toContainText("Out for delivery");
  await expect(row(alice, number)).toContainText("Vienna depot");
  await expect(alice.locator("[aria-live=polite]")).toHaveText(`${number} is now Out for delivery`);
  expect(await alice.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
  // The operator's own page updated live too.
  await expect(operator.getByRole("listitem").filter({ hasText: "Vienna depot" })).toBeVisible();
});

test("a change made while the server is down reaches alice's open page when it returns", async ({ browser, request, baseURL }) => {
  const port = Number(process.env.E2E_PORT ?? 3100) + 1;
  const url = `http://127.0.0.1:${port}`;
  const env = { ...process.env, DATABASE_URL: process.env.E2E_DATABASE_URL!, SHIPWATCH_ADDR: `127.0.0.1:${port}`, RUST_LOG: "warn" };
  const start = async () => {
    const child = spawn(SERVER, ["serve"], { cwd: ROOT, env, stdio: "ignore" });
    await expect
      .poll(async () => (await fetch(`${url}/readyz`).then((r) => r.status).catch(() => 0)), { timeout: 30_000 })
      .toBe(200);
    return child;
  };
  const stop = (child: ChildProcess) =>
    new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });

  const [, number] = await alicesShipmentsIn(request, baseURL!, "in_transit");
  let server = await start();
  try {
    const page = await (await browser.newContext({ baseURL: url })).newPage();
    await signIn(page, "alice@example.com");
    await page.goto(`/?q=${number}`);
    await expect(page.getByRole("status").filter({ hasText: "Live" })).toBeVisible();
    await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));

    await stop(server);
    await expect(page.getByRole("status").filter({ hasText: /Reconnecting|Offline/ })).toBeVisible();
    execFileSync(SERVER, ["set-status", "--tracking-number", number, "--status", "exception", "--note", "Held at customs"], {
      cwd: ROOT,
      env,
    });
    server = await start();

    await expect(row(page, number)).toContainText("Exception", { timeout: 15_000 });
    await expect(page.getByRole("status").filter({ hasText: "Live" })).toBeVisible();
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
  } finally {
    await stop(server);
  }
});

test("without SharedWorker, as on Chrome for Android, a tab runs the stream in its own worker and still updates live", async ({ browser, request, baseURL }) => {
  const [number] = await alicesShipmentsIn(request, baseURL!, "in_transit");
  const context = await browser.newContext({ baseURL });
  await context.addInitScript(() => {
    delete (window as unknown as { SharedWorker?: unknown }).SharedWorker;
  });
  const alice = await context.newPage();
  await signIn(alice, "alice@example.com");
  await alice.goto(`/?q=${number}`);
  expect(await alice.evaluate(() => typeof (window as unknown as { SharedWorker?: unknown }).SharedWorker)).toBe("undefined");
  await expect(alice.getByRole("status").filter({ hasText: "Live" })).toBeVisible();

  const operator = await (await browser.newContext({ baseURL })).request;
  await operator.post("/api/v1/session", {
    data: { email: "ops@example.com", password: DEMO_PASSWORD },
    headers: { Origin: baseURL! },
  });
  const posted = await operator.post(`/api/v1/shipments/${number}/events`, {
    data: { status: "in_transit", location: "Graz sorting centre" },
    headers: { Origin: baseURL! },
  });
  expect(posted.status()).toBe(201);
  await expect(row(alice, number)).toContainText("Graz sorting centre");
});

test("after bob signs in on the same browser, alice's open tab shows Signed out and none of bob's changes", async ({ browser, baseURL }) => {
  const context = await browser.newContext({ baseURL });
  const aliceTab = await context.newPage();
  await signIn(aliceTab, "alice@example.com");
  await expect(aliceTab.getByRole("status").filter({ hasText: "Live" })).toBeVisible();

  // Someone else signs in on this browser, in another tab: the session cookie
  // (and so the browser's one stream) is bob's now.
  const bobTab = await context.newPage();
  await signIn(bobTab, "bob@example.com");
  await expect(bobTab.getByRole("status").filter({ hasText: "Live" })).toBeVisible();
  const bobs = await (await context.request.get("/api/v1/shipments?status=in_transit&limit=200")).json();
  const number = (bobs.shipments as { tracking_number: string }[])[0].tracking_number;

  const operator = (await browser.newContext({ baseURL })).request;
  await operator.post("/api/v1/session", {
    data: { email: "ops@example.com", password: DEMO_PASSWORD },
    headers: { Origin: baseURL! },
  });
  const posted = await operator.post(`/api/v1/shipments/${number}/events`, {
    data: { status: "out_for_delivery", location: "Bob's street" },
    headers: { Origin: baseURL! },
  });
  expect(posted.status()).toBe(201);

  // Bob's tab shows it; by then the frame has reached the browser's worker.
  await expect(row(bobTab, number)).toContainText("Out for delivery");
  await expect(aliceTab.getByRole("status").filter({ hasText: "Signed out" })).toBeVisible();
  await expect(row(aliceTab, number)).toHaveCount(0);
  await expect(aliceTab.locator("[aria-live=polite]")).not.toContainText(number);
});

test("while the database is down pages say so and retry by themselves, and come back live without a reload", async ({ browser, baseURL }) => {
  test.skip(process.env.E2E_EMBEDDED_POSTGRES !== "1", "stops the database: only on the embedded cluster");
  test.setTimeout(90_000);
  const embedded = (action: string) => execFileSync(SERVER, ["embedded-postgres", action], { cwd: ROOT, stdio: "pipe" });
  const operator = (await browser.newContext({ baseURL })).request;
  await operator.post("/api/v1/session", { data: { email: "ops@example.com", password: DEMO_PASSWORD }, headers: { Origin: baseURL! } });
  const context = await browser.newContext({ baseURL });
  const open = await context.newPage();
  await signIn(open, "alice@example.com");
  await expect(open.getByRole("status").filter({ hasText: "Live" })).toBeVisible();
  const mine = await (await context.request.get("/api/v1/shipments?status=in_transit&limit=200")).json();
  const number = (mine.shipments as { tracking_number: string }[])[0].tracking_number;
  await open.goto(`/?q=${number}`);
  await expect(open.getByRole("status").filter({ hasText: "Live" })).toBeVisible();

  embedded("stop");
  try {
    // The page open all along keeps its stream and says it is reconnecting.
    await expect(open.getByRole("status").filter({ hasText: "Reconnecting…" })).toBeVisible();
    // A write is refused with 503 and says when to retry; nothing is a 500.
    const refused = await operator.post(`/api/v1/shipments/${number}/events`, {
      data: { status: "in_transit", location: "during the outage" },
      headers: { Origin: baseURL! },
    });
    expect(refused.status()).toBe(503);
    expect(refused.headers()["retry-after"]).toBe("2");
    // A page opened now says so, with a 503, and keeps trying by itself.
    const later = await context.newPage();
    const answer = await later.goto(`/shipments/${number}`);
    expect(answer?.status()).toBe(503);
    await expect(later.getByRole("heading", { name: "Shipwatch is briefly unavailable" })).toBeVisible();
    embedded("start");
    // Back within seconds, without anyone reloading: the retrying page is the
    // shipment page again and live; the page open all along is live too.
    await expect(later.getByRole("heading", { level: 1 })).toContainText(number, { timeout: 15_000 });
    await expect(later.getByRole("status").filter({ hasText: "Live" })).toBeVisible({ timeout: 10_000 });
    await expect(open.getByRole("status").filter({ hasText: "Live" })).toBeVisible();
  } finally {
    embedded("start");
  }
  await expect
    .poll(async () =>
      (await operator.post(`/api/v1/shipments/${number}/events`, {
        data: { status: "in_transit", location: "after the outage" },
        headers: { Origin: baseURL! },
      })).status(), { timeout: 15_000 })
    .toBe(201);
  await expect(row(open, number)).toContainText("after the outage");
});
