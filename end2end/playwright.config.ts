import { defineConfig } from "@playwright/test";

// The server under test: started by Playwright against the database that
// scripts/test prepared (fresh, migrated and seeded with the demo data).
const port = Number(process.env.E2E_PORT ?? 3100);
const baseURL = `http://127.0.0.1:${port}`;
const databaseUrl = process.env.E2E_DATABASE_URL;
if (!databaseUrl) {
  throw new Error("E2E_DATABASE_URL is not set: run the end-to-end suite through scripts/test");
}

// E2E_PROXY=1: the app as production runs it, three instances behind nginx
// (scripts/cluster, the repository's proxy settings) on `port`, the instances
// on the next three ports. Tests that count streams ask each instance; the
// instances' pid files are in E2E_CLUSTER_DIR.
const throughProxy = process.env.E2E_PROXY === "1";
const clusterDir = "target/e2e-cluster";
if (throughProxy) {
  process.env.E2E_INSTANCE_URLS = [1, 2, 3].map((i) => `http://127.0.0.1:${port + i}`).join(",");
  process.env.E2E_CLUSTER_DIR = clusterDir;
}

const serverEnv = {
  DATABASE_URL: databaseUrl,
  LEPTOS_SITE_ROOT: process.env.E2E_SITE_ROOT ?? "target/site",
  // The bundle's hashed file names, when it was not built with this server.
  ...(process.env.E2E_HASH_FILE ? { LEPTOS_HASH_FILE_NAME: process.env.E2E_HASH_FILE } : {}),
  RUST_LOG: "warn",
  // The server learns that a browser dropped a stream when it next writes
  // to it: pings every 5 s let stream counts settle within a test.
  SHIPWATCH_HEARTBEAT_SECS: "5",
  // Tests count open streams from /metrics, read with this token.
  SHIPWATCH_METRICS_TOKEN: process.env.E2E_METRICS_TOKEN ?? "e2e-metrics-token",
  SHIPWATCH_METRICS_ADDR: "off",
  // The journeys run faster than people click; the limits have their own test.
  SHIPWATCH_API_RATE_LIMIT: "100000",
  SHIPWATCH_API_RATE_LIMIT_ANONYMOUS: "100000",
};

export default defineConfig({
  testDir: "./tests",
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  // An html reporter that opens on failure would hang a terminal run.
  reporter: [["list"]],
  use: {
    baseURL,
    trace: "retain-on-failure",
  },
  projects: [
    {
      name: "chromium",
      use: {
        browserName: "chromium",
        launchOptions: {
          executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
          // Without these, Chromium tries to reach Google's hosts, which this
          // machine's closed network refuses; --no-sandbox lets it run as root.
          args: [
            "--no-sandbox",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
          ],
        },
      },
    },
  ],
  webServer: throughProxy
    ? {
        command: `scripts/cluster --no-build --instances 3 --port ${port}`,
        cwd: "..",
        url: `${baseURL}/readyz`,
        reuseExistingServer: false,
        timeout: 90_000,
        stdout: "pipe",
        stderr: "pipe",
        // SIGTERM: the cluster stops nginx, then drains its instances.
        gracefulShutdown: { signal: "SIGTERM", timeout: 15_000 },
        env: { ...serverEnv, SHIPWATCH_CLUSTER_DIR: clusterDir },
      }
    : {
        // scripts/test runs the suite against the debug build, then a journey
        // with the release bundle (E2E_SITE_ROOT, E2E_HASH_FILE); E2E_SERVER
        // picks another server binary.
        command: `${process.env.E2E_SERVER ?? "target/debug/server"} serve`,
        cwd: "..",
        url: `${baseURL}/readyz`,
        reuseExistingServer: false,
        timeout: 60_000,
        stdout: "pipe",
        stderr: "pipe",
        env: { ...serverEnv, SHIPWATCH_ADDR: `127.0.0.1:${port}` },
      },
});
