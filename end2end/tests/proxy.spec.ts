import { readFileSync } from "node:fs";
import path from "node:path";
import { type APIRequestContext, type Browser } from "@playwright/test";
import { DEMO_PASSWORD, expect, signIn, test } from "./helpers";

const ROOT = path.resolve(__dirname, "../..");

// Only when the suite runs behind nginx with several instances (E2E_PROXY=1,
// scripts/test's proxy step): the instances' own addresses.
const instances = (process.env.E2E_INSTANCE_URLS ?? "").split(",").filter(Boolean);

/** The operator's API on one instance directly, past nginx. */
async function operatorOn(browser: Browser, instance: string, publicUrl: string): Promise<APIRequestContext> {
  const context = await browser.newContext();
  const signedIn = await context.request.post(`${instance}/api/v1/session`, {
    data: { email: "ops@example.com", password: DEMO_PASSWORD },
    // The public origin (nginx's) is the only one allowed to change state.
    headers: { Origin: publicUrl },
  });
  expect(signedIn.status()).toBe(200);
  return context.request;
}

test("through nginx, a change posted on any instance reaches an open page at once (nothing buffers)", async ({
  browser,
  baseURL,
}) => {
  test.skip(instances.length < 2, "runs behind the proxy only (E2E_PROXY=1)");
  const writers = await Promise.all(instances.map((instance) => operatorOn(browser, instance, baseURL!)));
  const list = await (await writers[0].get(`${instances[0]}/api/v1/shipments?status=in_transit&limit=1`)).json();
  const number = list.shipments[0].tracking_number as string;

  const page = await (await browser.newContext({ baseURL })).newPage();
  await signIn(page, "ops@example.com");
  await expect(page.getByRole("status").filter({ hasText: "Live" })).toBeVisible();
  // A stream of the page's own, through nginx to whichever instance nginx
  // picks: it records when each change arrives, on the page's clock.
  await page.evaluate(
    () =>
      new Promise<void>((opened) => {
        const arrivals: Record<string, number> = {};
        (window as unknown as { arrivals: Record<string, number> }).arrivals = arrivals;
        const source = new EventSource("/api/events");
        source.addEventListener("shipment", (message) => {
          const frame = JSON.parse((message as MessageEvent).data);
          if (frame.event?.location) arrivals[frame.event.location] = performance.now();
        });
        source.onopen = () => opened();
      }),
  );

  // Three changes through each instance: the page's stream lives on one of
  // them, so the other's changes cross from instance to instance. Timed from
  // the write's acknowledgment (its commit is done; the two fsyncs of the
  // write itself are not the proxy's doing), on the page's clock; a change
  // that arrives before its acknowledgment counts as 0.
  const latencies: number[] = [];
  const roundTrips: number[] = [];
  for (let round = 0; round < 3; round++) {
    for (const [i, writer] of writers.entries()) {
      const location = `Proxy hub ${i + 1}.${round + 1}`;
      const sentAt = await page.evaluate(() => performance.now());
      const posted = await writer.post(`${instances[i]}/api/v1/shipments/${number}/events`, {
        data: { status: "in_transit", location },
        headers: { Origin: baseURL! },
      });
      expect(posted.status()).toBe(201);
      const ackedAt = await page.evaluate(() => performance.now());
      const arrivedAt = await expect
        .poll(() => page.evaluate((l) => (window as unknown as { arrivals: Record<string, number> }).arrivals[l], location))
        .toBeGreaterThan(0)
        .then(() => page.evaluate((l) => (window as unknown as { arrivals: Record<string, number> }).arrivals[l], location));
      latencies.push(Math.max(0, arrivedAt - ackedAt));
      roundTrips.push(arrivedAt - sentAt);
    }
  }
  latencies.sort((a, b) => a - b);
  const median = latencies[Math.floor(latencies.length / 2)];
  console.log(
    `acknowledged → page through nginx, ms: ${latencies.map((l) => l.toFixed(1)).join(", ")}; ` +
      `posted → page: ${roundTrips.map((l) => l.toFixed(1)).join(", ")}`,
  );
  // A buffering proxy holds a frame until its buffer fills or the stream
  // ends: seconds, not milliseconds.
  expect(median, `median of ${latencies.length} changes, ms after acknowledgment`).toBeLessThan(100);
  // And the shipment's timeline, read through nginx, holds them.
  await page.goto(`/shipments/${number}`);
  await expect(page.getByRole("listitem").filter({ hasText: "Proxy hub 2.3" })).toBeVisible();
});

test("killing an instance (SIGKILL) leaves alice's open page live: the next change shows within 5 s", async ({
  browser,
  baseURL,
}) => {
  test.skip(instances.length < 2, "runs behind the proxy only (E2E_PROXY=1)");
  const operator = await operatorOn(browser, instances[0], baseURL!);
  const alice = await (await browser.newContext({ baseURL })).newPage();
  await signIn(alice, "alice@example.com");
  const list = await (await alice.request.get("/api/v1/shipments?status=in_transit&limit=1")).json();
  const number = list.shipments[0].tracking_number as string;
  await alice.goto(`/shipments/${number}`);
  await expect(alice.getByRole("status").filter({ hasText: "Live" })).toBeVisible();

  // Every instance in turn, so whichever held alice's stream is among them;
  // scripts/cluster starts a killed instance again (its pid file changes).
  for (let i = 1; i <= instances.length; i++) {
    const pidFile = path.join(ROOT, process.env.E2E_CLUSTER_DIR!, `instance-${i}.pid`);
    const pid = Number(readFileSync(pidFile, "utf8").trim());
    process.kill(pid, "SIGKILL");
    const location = `After instance ${i} was killed`;
    // Through nginx, as an integration that must not lose a change posts:
    // with an Idempotency-Key. Sent the instant after the kill, it may reach
    // the dying instance (its socket still accepts for a moment) and be cut;
    // nginx then sends it to another instance under the same key.
    const posted = await operator.post(`${baseURL}/api/v1/shipments/${number}/events`, {
      data: { status: "in_transit", location },
      headers: { Origin: baseURL!, "Idempotency-Key": `kill-test-${i}-${Date.now()}` },
    });
    expect(posted.status()).toBe(201);
    await expect(alice.getByRole("listitem").filter({ hasText: location })).toBeVisible({ timeout: 5_000 });
    // The supervisor has started it again before the next one goes.
    await expect
      .poll(() => Number(readFileSync(pidFile, "utf8").trim()), { timeout: 10_000 })
      .not.toBe(pid);
    await expect
      .poll(async () => (await operator.get(`${instances[i - 1]}/readyz`).catch(() => null))?.status(), {
        timeout: 30_000,
      })
      .toBe(200);
  }
  await expect(alice.getByRole("status").filter({ hasText: "Live" })).toBeVisible();
  // Nothing lost, nothing twice: each change once on the timeline.
  for (let i = 1; i <= instances.length; i++) {
    await expect(alice.getByRole("listitem").filter({ hasText: `After instance ${i} was killed` })).toHaveCount(1);
  }
});
