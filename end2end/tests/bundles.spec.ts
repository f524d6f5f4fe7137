import { expect, signIn, test } from "./helpers";

// Each page loads its own browser bundle, holding only its islands
// (app/src/bundles.rs). A page given a bundle without one of its islands
// would stay server-rendered HTML, silently: the guard in helpers.ts fails
// on the warning Leptos logs then. scripts/test runs this against the
// release bundles, one per page kind, as well as the debug one.
test("every signed-in page comes alive with its own bundle", async ({ page }) => {
  await signIn(page, "ops@example.com");
  const live = page.getByRole("status").filter({ hasText: "Live" });

  await page.goto("/");
  await expect(page.locator("section.dashboard")).toHaveAttribute("data-hydrated", "true");
  await expect(live).toBeVisible();
  const number = (await page.locator("tbody tr").first().getAttribute("data-tracking-number"))!;

  await page.goto(`/shipments/${number}`);
  await expect(page.getByRole("heading", { level: 1 })).toContainText(number);
  await expect(live).toBeVisible();

  await page.goto("/operator");
  await expect(page.locator("section.console")).toHaveAttribute("data-hydrated", "true");
  await expect(live).toBeVisible();

  await page.goto("/settings");
  // Enabled once its island runs (it needs the browser's permission API).
  await expect(page.getByLabel(/Show a system notification/)).toBeEnabled();
  await expect(live).toBeVisible();

  for (const plain of ["/notifications", "/track", "/no-such-page"]) {
    await page.goto(plain);
    // The header's islands only (the bell, this badge).
    await expect(live).toBeVisible();
  }
});
