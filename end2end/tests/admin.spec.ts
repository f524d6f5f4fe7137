import { execFileSync } from "node:child_process";
import path from "node:path";
import { DEMO_PASSWORD, expect, signIn, test } from "./helpers";

const ROOT = path.resolve(__dirname, "../..");
const SERVER = path.join(ROOT, process.env.E2E_SERVER ?? "target/debug/server");
const ADMIN = "admin@example.com";
const ADMIN_PASSWORD = "admin-password-1";

test.beforeAll(() => {
  // An admin, made the way an operator of Shipwatch would: with the CLI.
  try {
    execFileSync(SERVER, ["create-user", "--email", ADMIN, "--role", "admin"], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: process.env.E2E_DATABASE_URL! },
      input: `${ADMIN_PASSWORD}\n`,
      stdio: ["pipe", "pipe", "pipe"],
    });
  } catch (error) {
    // Re-running the suite on the same database: the admin is already there.
    if (!String((error as { stderr?: Buffer }).stderr).includes("already exists")) throw error;
  }
});

test("an admin promotes a customer and issues, then revokes, an API token in the UI", async ({ page, playwright, baseURL }) => {
  // A new customer registers through the API.
  const carol = await playwright.request.newContext({ baseURL });
  const registered = await carol.post("/api/v1/users", {
    data: { email: "carol@example.com", password: "carol-password" },
    headers: { Origin: baseURL! },
  });
  expect(registered.status()).toBe(201);
  await carol.post("/api/v1/session", {
    data: { email: "carol@example.com", password: "carol-password" },
    headers: { Origin: baseURL! },
  });
  expect((await (await carol.get("/api/v1/shipments")).json()).total).toBe(0);

  await signIn(page, ADMIN, ADMIN_PASSWORD);
  await page.getByRole("link", { name: "Admin" }).click();
  await expect(page).toHaveURL(/\/admin$/);
  await expect(page.locator("section.admin")).toHaveAttribute("data-hydrated", "true");

  const carolsRow = page.locator('tr[data-email="carol@example.com"]');
  await carolsRow.getByLabel("Role of carol@example.com").selectOption("operator");
  await carolsRow.getByRole("button", { name: "Save" }).click();
  // Her very next request has the new rights: every shipment.
  await expect.poll(async () => (await (await carol.get("/api/v1/shipments")).json()).total).toBe(100);

  // A token for an integration, shown once.
  await page.getByLabel("Account email").fill("carol@example.com");
  await page.getByLabel("What it is for").fill("Scanner at depot 3");
  await page.getByRole("button", { name: "Issue token" }).click();
  const token = (await page.locator("code.token").textContent())!.trim();
  expect(token).toMatch(/^swt_/);
  const asToken = () =>
    playwright.request
      .newContext({ baseURL, extraHTTPHeaders: { Authorization: `Bearer ${token}` } })
      .then((c) => c.get("/api/v1/session"))
      .then((r) => r.status());
  expect(await asToken()).toBe(200);

  await page.getByRole("button", { name: "Revoke Scanner at depot 3" }).click();
  await expect(page.getByRole("row").filter({ hasText: "Scanner at depot 3" })).toContainText("revoked");
  expect(await asToken()).toBe(401);

  // A mistake is explained.
  await page.getByLabel("Account email").fill("nobody@example.com");
  await page.getByLabel("What it is for").fill("Ghost");
  await page.getByRole("button", { name: "Issue token" }).click();
  await expect(page.getByText("an account with the email nobody@example.com was not found")).toBeVisible();
});

test("customers and operators are kept out of the admin page and API", async ({ page, request, baseURL }) => {
  await signIn(page, "ops@example.com");
  const admin = await page.goto("/admin");
  expect(admin!.status()).toBe(403);
  await expect(page.getByRole("heading", { name: "This page is not for your account" })).toBeVisible();
  await page.getByRole("link", { name: "Go to your shipments" }).click();
  await expect(page).toHaveURL(/\/$/);

  await page.context().clearCookies();
  await signIn(page, "alice@example.com");
  const console = await page.goto("/operator");
  expect(console!.status()).toBe(403);
  await expect(page.getByRole("heading", { name: "This page is not for your account" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Operator console" })).toHaveCount(0);
  await request.post("/api/v1/session", {
    data: { email: "alice@example.com", password: DEMO_PASSWORD },
    headers: { Origin: baseURL! },
  });
  expect((await request.get("/api/v1/tokens")).status()).toBe(403);
  expect((await request.get("/api/v1/users")).status()).toBe(403);
});

test("an admin reopens a delivered shipment with a reason, and alice's open page shows it live", async ({ browser, baseURL }) => {
  const alice = await (await browser.newContext({ baseURL })).newPage();
  await signIn(alice, "alice@example.com");
  const delivered = await (await alice.request.get("/api/v1/shipments?status=delivered")).json();
  const number: string = delivered.shipments[0].tracking_number;
  await alice.goto(`/shipments/${number}`);
  await expect(alice.getByRole("status").filter({ hasText: "Live" })).toBeVisible();

  const admin = await (await browser.newContext({ baseURL })).newPage();
  await signIn(admin, ADMIN, ADMIN_PASSWORD);
  await admin.goto(`/shipments/${number}`);
  await admin.getByLabel("Reopen as").selectOption("in_transit");
  await admin.getByLabel("Reason").fill("Parcel found at the Leeds depot");
  await admin.getByRole("button", { name: "Reopen shipment" }).click();

  await expect(alice.getByText("Reopened: Parcel found at the Leeds depot")).toBeVisible();
  await expect(alice.getByRole("heading", { level: 1 })).toContainText("In transit");
});
