import { defineConfig } from "@playwright/test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import base from "./playwright.config";

// The static build (`trunk build --release`, in target/spa) served by a plain file server on one
// origin, talking to the real server on another, which allows that origin (APP_CORS_ORIGINS).
// The build names the server it talks to: `make spa` builds it for the port below.
const apiPort = Number(process.env.E2E_SPA_API_PORT ?? 3119);
const staticPort = Number(process.env.E2E_SPA_PORT ?? 3127);
const dataDir = mkdtempSync(join(tmpdir(), "tickercast-e2e-spa-"));
process.on("exit", () => {
  try {
    rmSync(dataDir, { recursive: true, force: true });
  } catch {
    // A folder left behind is only disk space.
  }
});
const server = process.env.SERVER_BIN ?? "../target/debug/server";
const baseServer = Array.isArray(base.webServer) ? base.webServer[0] : base.webServer!;

export default defineConfig({
  ...base,
  testDir: "./spa",
  use: { ...base.use, baseURL: `http://127.0.0.1:${staticPort}` },
  webServer: [
    {
      command: "node static-server.mjs",
      url: `http://127.0.0.1:${staticPort}/`,
      timeout: 30_000,
      reuseExistingServer: false,
      env: { STATIC_PORT: String(staticPort), STATIC_ROOT: process.env.SPA_ROOT ?? "../target/spa" },
    },
    {
      ...baseServer,
      command: server,
      url: `http://127.0.0.1:${apiPort}/api/status`,
      env: {
        ...baseServer.env,
        APP_ADDR: `127.0.0.1:${apiPort}`,
        APP_DATA_DIR: dataDir,
        APP_CORS_ORIGINS: `http://127.0.0.1:${staticPort}`,
      },
    },
  ],
});
