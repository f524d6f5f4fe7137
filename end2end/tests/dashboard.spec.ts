import { expect, test } from "@playwright/test";

test("the hydrated dashboard lists the 100 demo shipments", async ({ page }) => {
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));

  await page.goto("/");

  // The browser bundle has taken over the server-rendered page.
  await expect(page.locator("section.dashboard")).toHaveAttribute("data-hydrated", "true");

  const table = page.getByRole("table", { name: /100 shipments/ });
  await expect(table).toBeVisible();
  const rows = table.getByRole("row");
  // One header row plus one row per shipment.
  await expect(rows).toHaveCount(101);

  await expect(table.getByRole("columnheader", { name: "Tracking number" })).toBeVisible();
  await expect(table.getByText("Out for delivery").first()).toBeVisible();
  await expect(table.getByText("Delivered", { exact: true }).first()).toBeVisible();
  await expect(page).toHaveTitle("Shipments · Shipwatch");
  expect(errors, "no script errors while hydrating").toEqual([]);
});
