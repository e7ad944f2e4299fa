import { defineConfig } from "@playwright/test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// The server under test: the real binary with its own private Postgres and Redis in a fresh folder,
// so every run starts from the bundled data and no accounts.
const port = Number(process.env.E2E_PORT ?? 3117);
const baseURL = `http://127.0.0.1:${port}`;
const dataDir = mkdtempSync(join(tmpdir(), "tickercast-e2e-"));
// The runner stops the server before it exits; the folder (a whole cluster) goes with it.
process.on("exit", () => {
  try {
    rmSync(dataDir, { recursive: true, force: true });
  } catch {
    // A folder left behind is only disk space.
  }
});
const server = process.env.SERVER_BIN ?? "../target/debug/server";

export default defineConfig({
  testDir: "./tests",
  // `online/` runs against a server with a provider: `playwright.online.config.ts`.
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  outputDir: "test-results",
  use: {
    baseURL,
    screenshot: "only-on-failure",
    trace: "retain-on-failure",
    launchOptions: {
      // Debian's Chromium; Playwright never downloads a browser here.
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  webServer: {
    command: server,
    url: `${baseURL}/api/status`,
    timeout: 180_000,
    reuseExistingServer: false,
    stdout: "pipe",
    stderr: "pipe",
    env: {
      APP_ADDR: `127.0.0.1:${port}`,
      APP_DATA_DIR: dataDir,
      LEPTOS_SITE_ROOT: process.env.LEPTOS_SITE_ROOT ?? "../target/site",
      DATABASE_URL: "",
      REDIS_URL: "",
      RUST_LOG: "warn,server=info",
      // A short walk-forward protocol, so training every model fits in a browser test.
      APP_EVAL_ORIGINS: "20",
      APP_EVAL_REFIT_EVERY: "20",
      // One browser on one address makes every request of the suite: limits well above it.
      API_LIMIT_ANONYMOUS: "100000/min,10000000/day",
      API_LIMIT_FREE: "100000/min,10000000/day",
      AUTH_FREE_ATTEMPTS: "100",
    },
  },
});
