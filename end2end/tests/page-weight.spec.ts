import { test, expect } from "./fixtures/test";
import { hydrated } from "./fixtures/app";
import type { Page } from "@playwright/test";

/** Bytes on the wire (bodies as sent, compressed, plus headers) for a first visit with an empty
 *  cache, and what was fetched. */
async function firstVisit(page: Page, path: string) {
  const pending: Promise<{ url: string; bytes: number }>[] = [];
  page.on("requestfinished", (request) => {
    pending.push(
      request.sizes().then((sizes) => ({ url: request.url(), bytes: sizes.responseBodySize + sizes.responseHeadersSize })),
    );
  });
  await page.goto(path);
  await hydrated(page);
  await page.waitForLoadState("networkidle");
  const responses = await Promise.all(pending);
  const total = responses.reduce((sum, r) => sum + r.bytes, 0);
  return { total, urls: responses.map((r) => new URL(r.url).pathname) };
}

test("the chart library is fetched only by pages that draw a chart", async ({ page, browser }, info) => {
  const landing = await firstVisit(page, "/");
  expect(landing.urls).not.toContain("/echarts.min.js");
  // Another browser profile: an empty cache.
  const fresh = await browser.newContext();
  const stockPage = await fresh.newPage();
  const stock = await firstVisit(stockPage, "/stock/GOOG");
  expect(stock.urls).toContain("/echarts.min.js");
  await expect(stockPage.locator("#price-chart canvas").first()).toBeVisible();
  // Recorded with the suite's output (this is the debug build the tests run; `make bench-api`
  // and the closing figures speak of the release build).
  await info.attach("page-weight.json", {
    body: JSON.stringify({ landing: landing.total, stock: stock.total }, null, 2),
    contentType: "application/json",
  });
  console.log(`first visit, bytes on the wire: landing ${landing.total}, stock ${stock.total}`);
  await fresh.close();
});
