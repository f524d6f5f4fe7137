// Runs after product.spec.ts (file order): its CSV import makes 200 shipments
// the newest, which would push the shipments that spec selects off the
// console's first page.
import { readFile } from "node:fs/promises";
import { type APIRequestContext, type Page } from "@playwright/test";
import { apiAs, DEMO_PASSWORD, expect, signIn, test } from "./helpers";

/** A new shipment of `owner`'s (so no other test's changes meet it). */
async function newShipment(ops: APIRequestContext, owner: string, prefix: string) {
  const number = `${prefix}${Date.now() % 1e9}`;
  const created = await ops.post("/api/v1/shipments", {
    data: { tracking_number: number, owner_email: owner, origin: "Leeds", destination: "York", destination_postal_code: "YO1 7HH", carrier: "DHL" },
  });
  expect(created.status()).toBe(201);
  return number;
}

async function post(ops: APIRequestContext, number: string, status: string, location = "Leeds depot") {
  const response = await ops.post(`/api/v1/shipments/${number}/events`, { data: { status, location } });
  expect(response.status(), `posting ${status}`).toBe(201);
}

function bell(page: Page) {
  return page.getByRole("link", { name: /^Notifications,/ });
}

async function unread(page: Page) {
  return Number(await bell(page).getAttribute("data-unread"));
}

test("the bell counts a change to a watched shipment live and falls when it is read", async ({ browser, playwright, baseURL }) => {
  const ops = await apiAs(playwright.request, baseURL!, "ops@example.com");
  const number = await newShipment(ops, "bob@example.com", "SWBELL");
  const aliceApi = await apiAs(playwright.request, baseURL!, "alice@example.com");
  expect((await aliceApi.post("/api/v1/watches", { data: { tracking_number: number, postal_code: "YO1 7HH" } })).status()).toBe(201);
  await post(ops, number, "picked_up");
  await post(ops, number, "in_transit");

  const alice = await (await browser.newContext()).newPage();
  await signIn(alice, "alice@example.com");
  await expect(alice.getByRole("status").filter({ hasText: "Live" })).toBeVisible();
  const before = await unread(alice);
  await alice.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));

  await post(ops, number, "out_for_delivery", "Vienna depot");
  await expect(bell(alice)).toHaveAttribute("data-unread", String(before + 1));
  await expect(bell(alice)).toHaveAccessibleName(`Notifications, ${before + 1} unread`);
  expect(await alice.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);

  await bell(alice).click();
  await expect(alice).toHaveURL(/\/notifications$/);
  const entry = alice.getByRole("listitem").filter({ hasText: number });
  await expect(entry).toContainText("Out for delivery");
  await expect(entry).toContainText("Vienna depot");
  await alice.getByRole("button", { name: "Mark all read" }).click();
  await expect(bell(alice)).toHaveAttribute("data-unread", "0");
  await expect(alice.getByRole("button", { name: "Mark all read" })).toHaveCount(0);
});

test("the shipment page leads with the step tracker, which follows a change live", async ({ browser, playwright, baseURL }) => {
  const ops = await apiAs(playwright.request, baseURL!, "ops@example.com");
  const number = await newShipment(ops, "alice@example.com", "SWSTEP");
  await post(ops, number, "picked_up");
  await post(ops, number, "in_transit");
  await post(ops, number, "out_for_delivery");

  const alice = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  await signIn(alice, "alice@example.com");
  await alice.goto(`/shipments/${number}`);
  const tracker = alice.getByRole("list", { name: "Where the parcel is" });
  await expect(tracker.locator("[aria-current=step]")).toContainText("Out for delivery");
  await expect(alice.getByText("Expected:")).toBeVisible();
  // Where the parcel is comes before the details and the forms.
  const trackerTop = (await tracker.boundingBox())!.y;
  const detailsTop = (await alice.getByRole("heading", { name: "Details" }).boundingBox())!.y;
  expect(trackerTop).toBeLessThan(detailsTop);
  expect(trackerTop).toBeLessThan(800);
  await expect(alice.getByRole("status").filter({ hasText: "Live" })).toBeVisible();

  await post(ops, number, "attempt_failed", "Front door");
  await expect(tracker.locator("[aria-current=step]")).toContainText("Delivery attempt failed");
  await expect(alice.locator(".latest-event")).toContainText("Front door");
});

test("the operator console's table fits a 1280-pixel window", async ({ browser }) => {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  await signIn(page, "ops@example.com");
  await page.goto("/operator");
  const table = page.getByRole("table", { name: /shipments/ });
  await expect(table).toBeVisible();
  const fits = await table.evaluate((t) => {
    const wrap = t.parentElement!;
    const last = t.querySelector("thead th:last-child")!.getBoundingClientRect();
    return { scroll: wrap.scrollWidth, client: wrap.clientWidth, lastRight: last.right, wrapRight: wrap.getBoundingClientRect().right };
  });
  expect(fits.scroll, "no horizontal scrolling inside the table").toBeLessThanOrEqual(fits.client);
  expect(fits.lastRight).toBeLessThanOrEqual(fits.wrapRight);
});

/** The records of an RFC 4180 CSV text. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; }
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") { row.push(cell); cell = ""; }
    else if (c === "\r") continue;
    else if (c === "\n") { row.push(cell); rows.push(row); row = []; cell = ""; }
    else cell += c;
  }
  if (cell || row.length) { row.push(cell); rows.push(row); }
  return rows;
}

test("the list's download is a CSV of exactly the filtered shipments", async ({ page, playwright, baseURL }) => {
  await signIn(page, "alice@example.com");
  await page.goto("/?status=in_transit");
  const downloading = page.waitForEvent("download");
  await page.getByRole("link", { name: "Download these shipments (CSV)" }).click();
  const file = await (await downloading).path();
  const rows = parseCsv(await readFile(file!, "utf8"));
  expect(rows[0]).toEqual(["tracking_number", "status", "origin", "destination", "carrier", "eta", "last_location", "updated_at"]);
  const api = await apiAs(playwright.request, baseURL!, "alice@example.com");
  const list = await (await api.get("/api/v1/shipments?status=in_transit&limit=200")).json();
  const expected = (list.shipments as { tracking_number: string }[]).map((s) => s.tracking_number);
  expect(rows.slice(1).map((r) => r[0])).toEqual(expected);
  expect(rows.slice(1).every((r) => r[1] === "in_transit")).toBe(true);
});

test("a CSV import of 200 rows with 3 bad rows reports exactly those 3", async ({ browser, playwright, baseURL }) => {
  const ops = await apiAs(playwright.request, baseURL!, "ops@example.com");
  const stamp = Date.now() % 1e7;
  const numbers = Array.from({ length: 200 }, (_, i) => `SWCSV${stamp}${String(i).padStart(3, "0")}`);
  for (let i = 0; i < numbers.length; i += 20) {
    await Promise.all(
      numbers.slice(i, i + 20).map(async (number) => {
        const created = await ops.post("/api/v1/shipments", {
          data: { tracking_number: number, owner_email: "bob@example.com", origin: "Leeds", destination: "York", destination_postal_code: "YO1 7HH", carrier: "DHL" },
        });
        expect(created.status()).toBe(201);
      }),
    );
  }
  const lines = ["tracking_number,status,location,note,occurred_at"];
  numbers.forEach((number, i) => {
    if (i === 7) lines.push("SWNOSUCHPARCEL1,picked_up,Leeds depot,,");
    else if (i === 99) lines.push(`${number},delivered,Leeds depot,,`);
    else if (i === 150) lines.push(`${number},teleported,Leeds depot,,`);
    else lines.push(`${number},picked_up,"Leeds depot, bay 4",,`);
  });

  const page = await (await browser.newContext()).newPage();
  await page.goto("/login");
  await page.getByLabel("Email").fill("ops@example.com");
  await page.getByLabel("Password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.goto("/operator");
  const form = page.getByRole("region", { name: "Import status updates" });
  await form.getByLabel("CSV file").setInputFiles({ name: "tuesday.csv", mimeType: "text/csv", buffer: Buffer.from(lines.join("\r\n")) });
  await form.getByRole("button", { name: "Import" }).click();
  await expect(page).toHaveURL(/\/operator\/imports\/\d+$/);
  await expect(page.getByRole("status").filter({ hasText: "applied" })).toContainText("197 applied, 3 refused");
  const refused = page.getByRole("table", { name: /Rows that changed nothing/ }).locator("tbody tr");
  await expect(refused).toHaveCount(3);
  expect(await refused.locator("td:first-child").allTextContents()).toEqual(["9", "101", "152"]);

  const downloading = page.waitForEvent("download");
  await page.getByRole("link", { name: "Download the report (CSV)" }).click();
  const report = parseCsv(await readFile((await (await downloading).path())!, "utf8"));
  expect(report.length).toBe(201);
  expect(report.filter((r) => r[3] === "refused").map((r) => r[0])).toEqual(["9", "101", "152"]);
});

test("with browser notifications on, a change arriving while the tab is hidden shows a system notification", async ({ browser, playwright, baseURL }) => {
  const context = await browser.newContext({ permissions: ["notifications"] });
  // The system's notifications cannot be seen from here: record what the
  // page hands to the Notification API (still creating the real one), and
  // let the test say when the tab is in the background.
  await context.addInitScript(() => {
    const w = window as unknown as { shown: string[]; hidden: boolean; Notification: typeof Notification };
    w.shown = [];
    w.hidden = false;
    const Real = w.Notification;
    class Recorded extends Real {
      constructor(title: string, options?: NotificationOptions) {
        super(title, options);
        w.shown.push(`${title} | ${options?.body ?? ""}`);
      }
    }
    w.Notification = Recorded as typeof Notification;
    Object.defineProperty(Document.prototype, "visibilityState", { get: () => (w.hidden ? "hidden" : "visible") });
  });
  const page = await context.newPage();
  await signIn(page, "alice@example.com");
  await page.goto("/settings");
  const choice = page.getByLabel("Show a system notification when something changes while Shipwatch is in the background");
  await expect(choice).toBeEnabled();
  await choice.check();
  await expect(page.getByRole("status").filter({ hasText: "will show a system notification" })).toBeVisible();
  await expect(page.getByRole("status").filter({ hasText: "Live" })).toBeVisible();

  const ops = await apiAs(playwright.request, baseURL!, "ops@example.com");
  const number = await newShipment(ops, "alice@example.com", "SWSYS");
  await post(ops, number, "picked_up");
  await post(ops, number, "in_transit");
  await page.evaluate(() => ((window as unknown as { hidden: boolean }).hidden = true));
  await post(ops, number, "out_for_delivery", "Vienna depot");
  await expect
    .poll(() => page.evaluate(() => (window as unknown as { shown: string[] }).shown))
    .toContain(`${number}: Out for delivery | Vienna depot`);
  // Not for changes that notify nobody (in transit is not in alice's choice).
  const shown = await page.evaluate(() => (window as unknown as { shown: string[] }).shown);
  expect(shown.filter((s) => s.includes("In transit"))).toEqual([]);
});
