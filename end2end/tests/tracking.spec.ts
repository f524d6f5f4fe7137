import { DEMO_PASSWORD, expect, test } from "./helpers";

test("the public tracking page shows a live change without signing in and nothing private", async ({ browser, playwright, baseURL }) => {
  const ops = await playwright.request.newContext({ baseURL, extraHTTPHeaders: { Origin: baseURL! } });
  expect((await ops.post("/api/v1/session", { data: { email: "ops@example.com", password: DEMO_PASSWORD } })).status()).toBe(200);
  const number = `SWPUB${Date.now() % 1e9}`;
  const created = await ops.post("/api/v1/shipments", {
    data: { tracking_number: number, owner_email: "alice@example.com", origin: "Leeds", destination: "York", destination_postal_code: "YO1 7HH", carrier: "DHL" },
  });
  expect(created.status()).toBe(201);
  const alice = await playwright.request.newContext({ baseURL, extraHTTPHeaders: { Origin: baseURL! } });
  expect((await alice.post("/api/v1/session", { data: { email: "alice@example.com", password: DEMO_PASSWORD } })).status()).toBe(200);
  expect((await alice.put(`/api/v1/shipments/${number}/instructions`, { data: { instructions: "Key under the blue flowerpot" } })).ok()).toBe(true);
  expect((await ops.post(`/api/v1/shipments/${number}/events`, { data: { status: "picked_up", location: "Leeds depot" } })).status()).toBe(201);

  // A visitor with no account.
  const visitor = await (await browser.newContext()).newPage();
  await visitor.goto("/track");
  await visitor.getByLabel("Tracking number").fill(number);
  await visitor.getByLabel("Destination postal code").fill("yo1 7hh");
  await visitor.getByRole("button", { name: "Track" }).click();
  await expect(visitor).toHaveURL(/\/track\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  expect(visitor.url()).not.toContain("YO1");
  await expect(visitor.getByRole("heading", { level: 1 })).toContainText(number);
  await expect(visitor.getByRole("heading", { level: 1 })).toContainText("Picked up");
  await expect(visitor.getByRole("status").filter({ hasText: "Live" })).toBeVisible();
  await expect(visitor.getByRole("link", { name: "Sign in to watch this" })).toBeVisible();

  await ops.post(`/api/v1/shipments/${number}/events`, { data: { status: "in_transit", location: "Manchester hub", note: "Driver: Sam" } });
  await expect(visitor.getByRole("heading", { level: 1 })).toContainText("In transit");
  await expect(visitor.getByRole("listitem").filter({ hasText: "Manchester hub" })).toBeVisible();

  const text = await visitor.locator("body").innerText();
  for (const secret of ["@example.com", "flowerpot", "Driver: Sam", "Depot operator", "YO1 7HH"]) {
    expect(text, `the public page shows ${secret}`).not.toContain(secret);
  }
});
