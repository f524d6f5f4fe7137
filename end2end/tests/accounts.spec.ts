import { DEMO_PASSWORD, expect, shipmentTable, signIn, test } from "./helpers";

test("a new visitor registers, signs in and sees a helpful empty dashboard", async ({ page }) => {
  const email = `new-${Date.now()}@example.com`;
  await page.goto("/");
  await expect(page).toHaveURL(/\/login$/);

  await page.getByRole("link", { name: "Create an account" }).click();
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("short");
  await page.getByRole("button", { name: "Create account" }).click();
  // The browser's own check stops a too-short password before it is sent.
  await expect(page).toHaveURL(/\/register$/);

  await page.getByLabel("Password").fill("a long enough password");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("status")).toHaveText(/account is ready/);
  await expect(page.getByLabel("Email")).toHaveValue(email);

  await page.getByLabel("Password").fill("a long enough password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "No shipments yet" })).toBeVisible();
  await expect(page.getByRole("navigation", { name: "Account" })).toContainText(email);
});

test("a wrong password is refused with a clear message", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("Email").fill("alice@example.com");
  await page.getByLabel("Password").fill("not her password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toHaveText("the email address or password is not right");
  await expect(page.getByLabel("Email")).toHaveValue("alice@example.com");
});

test("alice sees her 60 shipments and none of bob's; sign-out returns to the login page", async ({ page, request, baseURL }) => {
  // Bob's tracking numbers, read as bob through the API.
  const signedIn = await request.post("/api/v1/session", {
    data: { email: "bob@example.com", password: DEMO_PASSWORD },
    headers: { Origin: baseURL ?? "" },
  });
  expect(signedIn.status(), await signedIn.text()).toBe(200);
  const bobs: { tracking_number: string }[] = (await (await request.get("/api/v1/shipments?limit=200")).json()).shipments;
  expect(bobs).toHaveLength(40);

  await signIn(page, "alice@example.com");
  await expect(page.getByRole("navigation", { name: "Shipments by status" }).getByRole("link", { name: /^All/ })).toHaveText("All 60");
  const table = shipmentTable(page);
  // 50 per page: one header row plus 50, then the other 10 on the next page.
  await expect(table.getByRole("row")).toHaveCount(51);
  const shown = await table.locator("tbody th").allTextContents();
  await page.getByRole("link", { name: "Next page" }).click();
  await expect(table.getByRole("row")).toHaveCount(11);
  shown.push(...(await table.locator("tbody th").allTextContents()));
  expect(new Set(shown).size).toBe(60);
  for (const { tracking_number } of bobs) {
    expect(shown).not.toContain(tracking_number);
  }

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login\?signed_out=1$/);
  await expect(page.getByRole("status")).toHaveText("You are signed out.");
  await page.goto("/");
  await expect(page).toHaveURL(/\/login$/);
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("sign-in and the dashboard still work", async ({ page }) => {
    await signIn(page, "alice@example.com");
    await expect(shipmentTable(page).getByRole("row")).toHaveCount(51);
    // Filters are a plain GET form: they work without JavaScript too.
    await page.getByLabel("Status", { exact: true }).selectOption({ label: "Delivered" });
    await page.getByRole("button", { name: "Apply filters" }).click();
    await expect(page).toHaveURL(/status=delivered/);
    const statuses = await shipmentTable(page).locator("tbody td[data-label=Status]").allTextContents();
    expect(statuses.length).toBeGreaterThan(0);
    expect(new Set(statuses)).toEqual(new Set(["Delivered"]));
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL(/\/login\?signed_out=1$/);
  });
});
