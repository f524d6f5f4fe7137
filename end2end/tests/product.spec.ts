import AxeBuilder from "@axe-core/playwright";
import { type APIRequestContext, type Browser, type Page } from "@playwright/test";
import { apiAs, DEMO_PASSWORD, expect, shipmentTable, signIn, test } from "./helpers";

type Summary = { tracking_number: string; status: string };

async function shipmentsIn(api: APIRequestContext, statuses: string[]): Promise<string[]> {
  const numbers: string[] = [];
  for (const status of statuses) {
    const list = await (await api.get(`/api/v1/shipments?status=${status}&limit=200`)).json();
    numbers.push(...(list.shipments as Summary[]).map((s) => s.tracking_number));
  }
  return numbers;
}

async function signedInPage(browser: Browser, baseURL: string, email: string): Promise<Page> {
  const page = await (await browser.newContext({ baseURL })).newPage();
  await signIn(page, email);
  return page;
}

function row(page: Page, trackingNumber: string) {
  return page.locator(`tr[data-tracking-number="${trackingNumber}"]`);
}

async function live(page: Page) {
  await expect(page.getByRole("status").filter({ hasText: "Live" })).toBeVisible();
}

/** Open streams on the server, from /metrics: summed over the instances
 * when the suite runs behind the proxy (E2E_INSTANCE_URLS), where /metrics
 * through nginx would ask whichever instance nginx picks. */
async function openStreams(api: APIRequestContext): Promise<number> {
  const instances = (process.env.E2E_INSTANCE_URLS ?? "").split(",").filter(Boolean);
  let open = 0;
  for (const url of instances.length > 0 ? instances.map((base) => `${base}/metrics`) : ["/metrics"]) {
    const text = await (
      await api.get(url, { headers: { Authorization: `Bearer ${process.env.E2E_METRICS_TOKEN ?? "e2e-metrics-token"}` } })
    ).text();
    const match = text.match(/^shipwatch_open_streams (\d+)/m);
    open += match ? Number(match[1]) : 0;
  }
  return open;
}

test("alice filters, searches, watches bob's shipment, sets instructions and reports a problem the operator sees live", async ({
  browser,
  baseURL,
  playwright,
}) => {
  const bob = await apiAs(playwright.request, baseURL!, "bob@example.com");
  const [bobsNumber] = await shipmentsIn(bob, ["in_transit"]);
  const bobsDetail = await (await bob.get(`/api/v1/shipments/${bobsNumber}`)).json();
  const postcode: string = bobsDetail.destination_postal_code;
  expect(postcode).toBeTruthy();

  // The operator's console is open before anything happens.
  const operator = await signedInPage(browser, baseURL!, "ops@example.com");
  await operator.goto("/operator");
  await expect(operator.locator("section.console")).toHaveAttribute("data-hydrated", "true");
  await live(operator);

  const alice = await signedInPage(browser, baseURL!, "alice@example.com");
  await expect(alice.locator("section.dashboard")).toHaveAttribute("data-hydrated", "true");
  await live(alice);

  // A count is a filter.
  const counts = alice.getByRole("navigation", { name: "Shipments by status" });
  await counts.getByRole("link", { name: /^Delivered/ }).click();
  await expect(alice).toHaveURL(/status=delivered/);
  const statuses = await shipmentTable(alice).locator("tbody td[data-label=Status]").allTextContents();
  expect(statuses.length).toBeGreaterThan(0);
  expect(new Set(statuses)).toEqual(new Set(["Delivered"]));

  // Search by a piece of a tracking number.
  const mine = statuses.length;
  const wanted = (await shipmentTable(alice).locator("tbody th a").first().textContent())!.trim();
  await alice.getByRole("search", { name: "Filter shipments" }).getByLabel("Tracking number").fill(wanted.slice(0, 8).toLowerCase());
  await alice.getByRole("button", { name: "Apply filters" }).click();
  await expect(row(alice, wanted)).toBeVisible();
  expect(mine).toBeGreaterThan(0);

  // Watching needs the right postcode; a wrong one is refused without saying why.
  await alice.goto("/");
  await expect(alice.locator("section.dashboard")).toHaveAttribute("data-hydrated", "true");
  await alice.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
  await alice.getByText("Watch a shipment").click();
  const watch = alice.getByRole("form", { name: "Watch a shipment" });
  await watch.getByLabel("Tracking number").fill(bobsNumber);
  await watch.getByLabel("Destination postal code").fill("ZZ9 9ZZ");
  await watch.getByRole("button", { name: "Watch" }).click();
  await expect(alice.getByRole("alert")).toContainText("was not found");
  await expect(row(alice, bobsNumber)).toHaveCount(0);
  await watch.getByLabel("Destination postal code").fill(postcode);
  await watch.getByRole("button", { name: "Watch" }).click();
  await expect(row(alice, bobsNumber)).toBeVisible();
  await expect(alice.getByRole("status").filter({ hasText: `You are now watching ${bobsNumber}` })).toBeVisible();
  expect(await alice.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);

  // Instructions on one of her own shipments, then a problem report.
  const [own] = await shipmentsIn(await apiAs(playwright.request, baseURL!, "alice@example.com"), ["out_for_delivery", "in_transit"]);
  await alice.goto(`/shipments/${own}`);
  await expect(alice.getByRole("heading", { level: 1 })).toContainText(own);
  await alice.getByLabel("Instructions for the driver").fill("Leave it with the neighbour at number 12");
  await alice.getByRole("button", { name: "Save instructions" }).click();
  await expect(alice.getByText("Instructions saved.")).toBeVisible();
  await expect(alice.getByRole("listitem").filter({ hasText: "Leave it with the neighbour at number 12" })).toBeVisible();

  await alice.getByText("Report a problem").click();
  await alice.getByLabel("What is wrong?").fill("The tracking page says Lyon but I live in Porto");
  await alice.getByRole("button", { name: "Report problem" }).click();
  await expect(alice.getByText("the problem was reported")).toBeVisible();

  // The operator's console shows it without a reload.
  const queue = operator.getByRole("region", { name: "Open problems" });
  await expect(queue.getByText("The tracking page says Lyon but I live in Porto")).toBeVisible();
});

test("the counts above alice's list move live: a status change moves one count to another, a new shipment adds one", async ({ browser, baseURL, playwright }) => {
  const ops = await apiAs(playwright.request, baseURL!, "ops@example.com");
  const alice = await signedInPage(browser, baseURL!, "alice@example.com");
  await live(alice);
  const counts = alice.getByRole("navigation", { name: "Shipments by status" });
  const count = async (label: RegExp) => {
    const link = counts.getByRole("link", { name: label });
    return (await link.count()) === 0 ? 0 : Number(await link.locator(".count").textContent());
  };
  const expectCount = (label: RegExp, expected: number) =>
    expect.poll(() => count(label), { message: `${label} count` }).toBe(expected);
  const [number] = await shipmentsIn(await apiAs(playwright.request, baseURL!, "alice@example.com"), ["in_transit"]);
  const before = {
    all: await count(/^All/),
    transit: await count(/^In transit/),
    out: await count(/^Out for delivery/),
    exception: await count(/^Exception/),
    attention: await count(/^Needs attention/),
    pending: await count(/^Pending/),
  };

  const post = async (status: string) =>
    expect((await ops.post(`/api/v1/shipments/${number}/events`, { data: { status }, headers: { Origin: baseURL! } })).status()).toBe(201);
  await post("out_for_delivery");
  await expectCount(/^In transit/, before.transit - 1);
  await expectCount(/^Out for delivery/, before.out + 1);
  await expectCount(/^All/, before.all);

  await post("exception");
  await expectCount(/^Out for delivery/, before.out);
  await expectCount(/^Exception/, before.exception + 1);
  await expectCount(/^Needs attention/, before.attention + 1);

  const registered = await ops.post("/api/v1/shipments", {
    data: {
      tracking_number: "SWCOUNT0001", owner_email: "alice@example.com", origin: "Graz", destination: "Linz",
      destination_postal_code: "4020", carrier: "PostAG",
    },
    headers: { Origin: baseURL! },
  });
  expect(registered.status()).toBe(201);
  await expectCount(/^All/, before.all + 1);
  await expectCount(/^Pending/, before.pending + 1);
  // What a reload shows agrees with what moved live.
  const live_ = { all: await count(/^All/), attention: await count(/^Needs attention/), exception: await count(/^Exception/) };
  await alice.reload();
  expect({ all: await count(/^All/), attention: await count(/^Needs attention/), exception: await count(/^Exception/) }).toEqual(live_);
});

test("the operator bulk-updates 5 shipments and alice's open tabs show every change", async ({ browser, baseURL, playwright }) => {
  const aliceApi = await apiAs(playwright.request, baseURL!, "alice@example.com");
  const five = (await shipmentsIn(aliceApi, ["info_received", "picked_up", "in_transit", "out_for_delivery"])).slice(0, 5);
  expect(five).toHaveLength(5);

  // Two tabs of one browser, showing what needs attention.
  const aliceContext = await browser.newContext({ baseURL });
  const first = await aliceContext.newPage();
  await signIn(first, "alice@example.com");
  const second = await aliceContext.newPage();
  for (const tab of [first, second]) {
    await tab.goto("/?attention=1&limit=200");
    await expect(tab.locator("section.dashboard")).toHaveAttribute("data-hydrated", "true");
    await live(tab);
  }

  const operator = await signedInPage(browser, baseURL!, "ops@example.com");
  await operator.goto("/operator?limit=200");
  await expect(operator.locator("section.console")).toHaveAttribute("data-hydrated", "true");
  for (const number of five) {
    await operator.getByLabel(`Select ${number}`).check();
  }
  const bulk = operator.getByRole("region", { name: "Update selected shipments" });
  await bulk.getByLabel("New status").selectOption({ label: "Exception" });
  await bulk.getByLabel("Note").fill("Depot flooded");
  await bulk.getByRole("button", { name: "Update 5 shipments" }).click();
  await expect(bulk.getByText("5 of 5 updated.")).toBeVisible();

  for (const tab of [first, second]) {
    for (const number of five) {
      await expect(row(tab, number)).toContainText("Exception");
    }
  }
});

test("an illegal transition is not offered, and the API refuses it with 409", async ({ browser, baseURL, playwright }) => {
  const ops = await apiAs(playwright.request, baseURL!, "ops@example.com");
  const [moving] = await shipmentsIn(ops, ["out_for_delivery"]);
  const operator = await signedInPage(browser, baseURL!, "ops@example.com");
  await operator.goto(`/shipments/${moving}`);
  const offered = await operator.getByRole("region", { name: "Post a status" }).getByLabel("New status").locator("option").allTextContents();
  expect(offered).toEqual(expect.arrayContaining(["Delivered", "Delivery attempt failed"]));
  expect(offered).not.toContain("Pending");
  expect(offered).not.toContain("Picked up");

  const forced = await ops.post(`/api/v1/shipments/${moving}/events`, {
    data: { status: "pending" },
    headers: { Origin: baseURL! },
  });
  expect(forced.status()).toBe(409);
  expect((await forced.json()).detail).toMatch(/out.for.delivery.*pending|Out for delivery.*Pending/i);
});

test("the stream opens while the bundle downloads, so a change made meanwhile shows once the page runs", async ({ browser, baseURL, playwright }) => {
  const ops = await apiAs(playwright.request, baseURL!, "ops@example.com");
  const aliceApi = await apiAs(playwright.request, baseURL!, "alice@example.com");
  const [number] = await shipmentsIn(aliceApi, ["in_transit"]);
  const context = await browser.newContext({ baseURL });
  const signedIn = await context.request.post("/api/v1/session", {
    data: { email: "alice@example.com", password: DEMO_PASSWORD },
    headers: { Origin: baseURL! },
  });
  expect(signedIn.status()).toBe(200);
  const page = await context.newPage();

  // The bundle is held back (a slow phone network) until the page's stream
  // is live without it; then a change is posted, and only then the bundle
  // arrives.
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  await page.route("**/pkg/*.wasm", async (route) => {
    await released;
    await route.continue();
  });
  await page.goto(`/shipments/${number}`, { waitUntil: "commit" });
  await expect.poll(() => page.evaluate(() => (window as any).shipwatchLive?.state)).toBe("live");
  const posted = await ops.post(`/api/v1/shipments/${number}/events`, {
    data: { status: "in_transit", location: "Posted while the page loaded" },
    headers: { Origin: baseURL! },
  });
  expect(posted.status()).toBe(201);
  release();

  await live(page);
  await expect(page.getByRole("listitem").filter({ hasText: "Posted while the page loaded" })).toBeVisible();
  await context.close();
});

test("a change posted while a page loads is shown once, without reload, whatever the moment (20 tries)", async ({ browser, baseURL, playwright }) => {
  test.setTimeout(120_000);
  const ops = await apiAs(playwright.request, baseURL!, "ops@example.com");
  const aliceApi = await apiAs(playwright.request, baseURL!, "alice@example.com");
  const [watched, listed] = await shipmentsIn(aliceApi, ["in_transit"]);
  const context = await browser.newContext({ baseURL });
  const signedIn = await context.request.post("/api/v1/session", {
    data: { email: "alice@example.com", password: DEMO_PASSWORD },
    headers: { Origin: baseURL! },
  });
  expect(signedIn.status()).toBe(200);
  const post = async (number: string, status: string, location: string) => {
    const response = await ops.post(`/api/v1/shipments/${number}/events`, {
      data: { status, location },
      headers: { Origin: baseURL! },
    });
    expect(response.status(), `${status} for ${number}`).toBe(201);
  };
  // Posted from 0 to 1000 ms after navigation starts (not after Live):
  // before, during and after the render, the download, the hydration.
  const delays = [0, 0, ...Array.from({ length: 18 }, () => Math.floor(Math.random() * 1000))];
  for (const [i, delay] of delays.entries()) {
    const page = await context.newPage();
    const onShipmentPage = i % 2 === 0;
    const navigation = page.goto(onShipmentPage ? `/shipments/${watched}` : "/");
    await new Promise((resolve) => setTimeout(resolve, delay));
    if (onShipmentPage) {
      const location = `Load race ${i} (${delay} ms)`;
      await post(watched, "in_transit", location);
      await navigation;
      const entry = page.getByRole("listitem").filter({ hasText: location });
      await expect(entry, location).toBeVisible();
      await expect(entry, `${location}, once`).toHaveCount(1);
    } else {
      // Out for delivery, attempt failed, out for delivery, …: each post
      // changes what the row says.
      const [status, label] = i % 4 === 1 ? ["out_for_delivery", "Out for delivery"] : ["attempt_failed", "Delivery attempt failed"];
      await post(listed, status, `Load race ${i}`);
      await navigation;
      const rows = page.locator(`tr[data-tracking-number="${listed}"]`);
      await expect(rows, `${label} after ${delay} ms`).toContainText(label);
      await expect(rows).toHaveCount(1);
    }
    await live(page);
    await page.close();
  }
  await context.close();
});

test("eight tabs share one stream, and closing the first keeps the others live", async ({ browser, baseURL, playwright }) => {
  const ops = await apiAs(playwright.request, baseURL!, "ops@example.com");
  const aliceApi = await apiAs(playwright.request, baseURL!, "alice@example.com");
  const [number] = await shipmentsIn(aliceApi, ["in_transit"]);
  const before = await openStreams(ops);

  const context = await browser.newContext({ baseURL });
  const tabs: Page[] = [await context.newPage()];
  await signIn(tabs[0], "alice@example.com");
  for (let i = 1; i < 8; i++) tabs.push(await context.newPage());
  for (const tab of tabs) {
    await tab.goto(`/shipments/${number}`);
    await live(tab);
  }
  await expect.poll(() => openStreams(ops)).toBe(before + 1);

  const post = async (location: string) => {
    const response = await ops.post(`/api/v1/shipments/${number}/events`, {
      data: { status: "in_transit", location },
      headers: { Origin: baseURL! },
    });
    expect(response.status()).toBe(201);
  };
  await post("Eight-tab hub");
  for (const tab of tabs) {
    await expect(tab.getByRole("listitem").filter({ hasText: "Eight-tab hub" })).toBeVisible();
  }

  // The tab that started the stream goes away; nothing is missed after it.
  await tabs[0].close();
  await post("After the first tab closed");
  for (const tab of tabs.slice(1)) {
    await expect(tab.getByRole("listitem").filter({ hasText: "After the first tab closed" })).toBeVisible();
    await live(tab);
  }
  // A server-wide count: a stream a browser dropped (a worker that ended when
  // its page navigated away) counts until the server's next ping to it, so
  // wait for the count to settle rather than read it once.
  await expect.poll(() => openStreams(ops)).toBe(before + 1);
  await context.close();
});

for (const colorScheme of ["light", "dark"] as const) {
  test(`axe finds no accessibility violations (${colorScheme})`, async ({ browser, baseURL, playwright }) => {
    // Four whole-page axe analyses (the console lists 50 rows) take most of
    // the default 30 s on this 2-core machine: more time, same checks.
    test.slow();
    const ops = await apiAs(playwright.request, baseURL!, "ops@example.com");
    const [number] = await shipmentsIn(ops, ["exception"]);
    const context = await browser.newContext({ baseURL, colorScheme });
    const page = await context.newPage();
    const check = async (what: string) => {
      const results = await new AxeBuilder({ page }).analyze();
      const summary = results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
      expect(summary, `${what} (${colorScheme})`).toEqual([]);
    };
    await page.goto("/login");
    await check("/login");
    await signIn(page, "ops@example.com");
    await expect(page.locator("section.dashboard")).toHaveAttribute("data-hydrated", "true");
    await check("/");
    await page.goto(`/shipments/${number}`);
    await expect(page.getByRole("heading", { name: "Timeline" })).toBeVisible();
    await check("a shipment page");
    await page.goto("/operator");
    await expect(page.locator("section.console")).toHaveAttribute("data-hydrated", "true");
    await check("/operator");
    await context.close();
  });
}

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  /** Submits with `submit` and returns the status of the form post's answer. */
  async function postStatusOf(page: Page, endpoint: string, submit: () => Promise<void>) {
    const answer = page.waitForResponse((r) => r.url().endsWith(endpoint) && r.request().method() === "POST");
    await submit();
    return (await answer).status();
  }

  test("a refused form comes back with its field errors, a 422, and what was typed", async ({ browser, baseURL, playwright }) => {
    const alice = await signedInPage(browser, baseURL!, "alice@example.com");
    await alice.getByText("Watch a shipment").click();
    await alice.getByLabel("Tracking number", { exact: true }).first().fill("SW12");
    await alice.getByLabel("Destination postal code").fill("1010");
    const watched = await postStatusOf(alice, "/api/watch_shipment", () =>
      alice.getByRole("button", { name: "Watch", exact: true }).click());
    expect(watched).toBe(422);
    await expect(alice.getByRole("alert").filter({ hasText: "a tracking number has 6 to 32 letters and digits" })).toBeVisible();
    await expect(alice.locator("#watch-number")).toHaveValue("SW12");
    await expect(alice.locator("#watch-postcode")).toHaveValue("1010");

    const [mine] = await shipmentsIn(await apiAs(playwright.request, baseURL!, "alice@example.com"), ["in_transit"]);
    await alice.goto(`/shipments/${mine}`);
    await alice.getByText("Report a problem").click();
    await alice.locator("#problem-description").fill("   ");
    const reported = await postStatusOf(alice, "/api/report_problem", () =>
      alice.getByRole("button", { name: "Report problem" }).click());
    expect(reported).toBe(422);
    await expect(alice.locator(".field-error").filter({ hasText: /description|describe|empty|required/i })).toBeVisible();
    await expect(alice.getByRole("heading", { level: 1 })).toContainText(mine);

    const operator = await signedInPage(browser, baseURL!, "ops@example.com");
    await operator.goto(`/shipments/${mine}`);
    const form = operator.getByRole("region", { name: "Post a status" });
    await form.getByLabel("New status").selectOption({ label: "Out for delivery" });
    const tooLong = "Depot ".repeat(40);
    const limit = 200;
    await form.getByLabel("Location").fill(tooLong);
    // The browser stops at the server's limit (the field's maxlength comes
    // from the same rule) ...
    await expect(form.getByLabel("Location")).toHaveValue(tooLong.slice(0, limit));
    await form.getByLabel("Note").fill("driver called ahead");
    // ... so the overlong value is sent as a browser that ignores maxlength
    // would send it: the server still refuses it.
    await operator.route("**/api/post_status", (route) => {
      const body = new URLSearchParams(route.request().postData() ?? "");
      body.set("location", tooLong);
      return route.continue({ postData: body.toString() });
    });
    const posted = await postStatusOf(operator, "/api/post_status", () =>
      form.getByRole("button", { name: "Post status" }).click());
    expect(posted).toBe(422);
    const again = operator.getByRole("region", { name: "Post a status" });
    await expect(again.getByRole("alert")).toContainText(String(limit));
    await expect(again.getByLabel("Location")).toHaveValue(tooLong);
    await expect(again.getByLabel("Note")).toHaveValue("driver called ahead");
    await expect(again.getByLabel("New status")).toHaveValue("out_for_delivery");
  });
});
