import { test as base, expect, type APIRequest, type APIRequestContext, type BrowserContext, type Page } from "@playwright/test";

export { expect };

/**
 * Every test, with a guard: if the app panics in any page of the test (a
 * hydration mismatch is a panic in Leptos), or a page's bundle lacks one of
 * its islands (Leptos warns, and that part of the page never comes alive;
 * see app/src/bundles.rs), the test fails with the message, even when what
 * it asserts still happens to pass.
 */
export const test = base.extend<{ noPanics: void }>({
  noPanics: [
    async ({ browser, context }, use) => {
      const panics: string[] = [];
      const watch = (watched: BrowserContext) =>
        watched.on("console", (message) => {
          const text = message.text();
          if (message.type() === "error" && /panicked at|hydration error/i.test(text)) panics.push(text.slice(0, 400));
          if (/Could not find WASM function for the island/.test(text)) panics.push(text.slice(0, 400));
        });
      watch(context);
      const newContext = browser.newContext.bind(browser);
      browser.newContext = async (options) => {
        const created = await newContext(options);
        watch(created);
        return created;
      };
      await use();
      browser.newContext = newContext;
      expect(panics, "the app panicked in the browser").toEqual([]);
    },
    { auto: true },
  ],
});

export const DEMO_PASSWORD = "demo-password";

/**
 * An API client signed in as `email` (its own cookies), sending our Origin as
 * the app's own pages do. `request` is the test's `playwright.request`.
 */
export async function apiAs(request: APIRequest, baseURL: string, email: string): Promise<APIRequestContext> {
  const api = await request.newContext({ baseURL, extraHTTPHeaders: { Origin: baseURL } });
  const signedIn = await api.post("/api/v1/session", { data: { email, password: DEMO_PASSWORD } });
  expect(signedIn.status()).toBe(200);
  return api;
}

/** Signs in through the login form, as a person would. */
export async function signIn(page: Page, email: string, password = DEMO_PASSWORD) {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/$/);
}

/** The table of shipments on the dashboard. */
export function shipmentTable(page: Page) {
  return page.getByRole("table", { name: /shipments/ });
}
