import { expect, shipmentTable, signIn, test } from "./helpers";

test("the hydrated dashboard lists all 100 demo shipments for the operator", async ({ page }) => {
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));

  await signIn(page, "ops@example.com");

  // The browser bundle has taken over the server-rendered page.
  await expect(page.locator("section.dashboard")).toHaveAttribute("data-hydrated", "true");

  const table = shipmentTable(page);
  await expect(page.getByRole("navigation", { name: "Shipments by status" }).getByRole("link", { name: /^All/ })).toHaveText("All 100");
  await expect(table).toHaveAccessibleName(/50 shipments on this page/);
  // One header row plus a page of 50.
  await expect(table.getByRole("row")).toHaveCount(51);
  await expect(table.getByRole("columnheader", { name: "Tracking number" })).toBeVisible();
  await expect(table.getByText("Out for delivery").first()).toBeVisible();
  await expect(table.getByText("Delivered", { exact: true }).first()).toBeVisible();
  await expect(page).toHaveTitle("Shipments · Shipwatch");
  expect(errors, "no script errors while hydrating").toEqual([]);
});

test("a customer opens a shipment from the list and reads its timeline", async ({ page }) => {
  await signIn(page, "alice@example.com");
  const first = shipmentTable(page).locator("tbody th a").first();
  const number = (await first.textContent())?.trim() ?? "";
  await first.click();
  await expect(page).toHaveURL(new RegExp(`/shipments/${number}$`));
  await expect(page.getByRole("heading", { level: 1 })).toContainText(number);
  await expect(page.getByRole("heading", { name: "Timeline" })).toBeVisible();
  await expect(page.getByRole("listitem").filter({ hasText: "Shipment created" })).toBeVisible();
});
