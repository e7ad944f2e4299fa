import { test as base, expect } from "@playwright/test";
import { hydrated } from "./fixtures/app";

// Plain Playwright here: this spec provokes a violation on purpose.
base("pages are served under a nonce policy that blocks injected script", async ({ page }) => {
  const violations: string[] = [];
  page.on("console", (m) => {
    if (m.text().includes("Content Security Policy")) violations.push(m.text());
  });
  const res = await page.goto("/stock/GOOG");
  const csp = res?.headers()["content-security-policy"] ?? "";
  expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9_-]+' 'wasm-unsafe-eval'/);
  expect(csp).toContain("frame-ancestors 'none'");
  expect(res?.headers()["x-content-type-options"]).toBe("nosniff");
  await hydrated(page);
  // The app hydrated and its chart drew under the policy, with no violation so far.
  await expect(page.locator("#price-chart canvas").first()).toBeVisible();
  expect(violations).toEqual([]);
  // A script injected without the nonce does not run, and the browser says why.
  const ran = await page.evaluate(() => {
    const s = document.createElement("script");
    s.textContent = "window.__injected = true";
    document.body.appendChild(s);
    return (window as unknown as { __injected?: boolean }).__injected === true;
  });
  expect(ran).toBe(false);
  await expect.poll(() => violations.length).toBeGreaterThan(0);
});

base("a form posted from another site is refused", async ({ page, baseURL }) => {
  // A page on another origin (a data: URL) auto-submits a login form to the app.
  const html = `<form id="f" method="post" action="${baseURL}/api/logout"></form>
    <script>document.getElementById('f').submit()</script>`;
  const responses: number[] = [];
  page.on("response", (r) => {
    if (r.url().endsWith("/api/logout")) responses.push(r.status());
  });
  await page.goto(`data:text/html,${encodeURIComponent(html)}`);
  await expect.poll(() => responses).toEqual([403]);
});
