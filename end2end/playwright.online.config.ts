import { defineConfig } from "@playwright/test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import base from "./playwright.config";

// The same server as `playwright.config.ts`, but online: its market-data provider is the local
// stand-in for Yahoo (`fixture-provider.mjs`), which knows one unbundled company, Apple. The specs
// under `online/` are the journeys that need a provider: search, a first visit, an import.
const port = Number(process.env.E2E_ONLINE_PORT ?? 3118);
const providerPort = Number(process.env.FIXTURE_PROVIDER_PORT ?? 3199);
const baseURL = `http://127.0.0.1:${port}`;
// Made once by the runner; its workers inherit the variable, so they find the same cluster (the
// import journey grants an administrator through `server admin` on it).
if (!process.env.E2E_ONLINE_DATA_DIR) {
  const made = mkdtempSync(join(tmpdir(), "tickercast-e2e-online-"));
  process.env.E2E_ONLINE_DATA_DIR = made;
  process.on("exit", () => {
    try {
      rmSync(made, { recursive: true, force: true });
    } catch {
      // A folder left behind is only disk space.
    }
  });
}
const dataDir = process.env.E2E_ONLINE_DATA_DIR;
// How long the server trusts an account's role from memory: a role granted on the command line
// (`registerAdministrator`) shows after this, which the specs wait out (workers inherit it).
process.env.E2E_AUTH_CACHE_SECS = "2";
const server = process.env.SERVER_BIN ?? "../target/debug/server";
process.env.SERVER_BIN = server;
const baseServer = Array.isArray(base.webServer) ? base.webServer[0] : base.webServer!;

export default defineConfig({
  ...base,
  testDir: "./online",
  use: { ...base.use, baseURL },
  webServer: [
    {
      command: "node fixture-provider.mjs",
      url: `http://127.0.0.1:${providerPort}/healthz`,
      timeout: 30_000,
      reuseExistingServer: false,
      env: { FIXTURE_PROVIDER_PORT: String(providerPort), FIXTURE_PROVIDER_CHART_DELAY_MS: "1500" },
    },
    {
      ...baseServer,
      command: server,
      url: `${baseURL}/api/status`,
      env: {
        ...baseServer.env,
        APP_ADDR: `127.0.0.1:${port}`,
        APP_DATA_DIR: dataDir,
        MARKET_DATA_PROVIDERS: "yahoo",
        YAHOO_BASE_URL: `http://127.0.0.1:${providerPort}`,
        MARKET_DATA_MAX_RETRIES: "0",
        AUTH_CACHE_SECS: process.env.E2E_AUTH_CACHE_SECS,
      },
    },
  ],
});
