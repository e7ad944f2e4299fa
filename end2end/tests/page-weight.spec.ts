import { test, expect } from "./fixtures/test";
import { hydrated } from "./fixtures/app";
import type { Page } from "@playwright/test";

/** Bytes on the wire (bodies as sent, compressed, plus headers) for a visit of `path`, and what
 *  was fetched. */
async function visit(page: Page, path: string) {
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

test("the chart library is fetched only by pages that draw a chart, and a second visit costs little", async ({ page, browser }, info) => {
  const landing = await visit(page, "/");
  expect(landing.urls).not.toContain("/echarts.min.js");
  // Another browser profile: an empty cache.
  const fresh = await browser.newContext();
  const stockPage = await fresh.newPage();
  const stock = await visit(stockPage, "/stock/GOOG");
  expect(stock.urls).toContain("/echarts.min.js");
  await expect(stockPage.locator("#price-chart canvas").first()).toBeVisible();
  // A second visit revalidates the files (304s, headers only) instead of fetching them again.
  stockPage.removeAllListeners("requestfinished");
  const again = await visit(stockPage, "/stock/GOOG");
  expect(again.total).toBeLessThan(stock.total / 10);
  // Recorded with the suite's output (this is the debug build the tests run; `make bench-api`
  // and the closing figures speak of the release build).
  await info.attach("page-weight.json", {
    body: JSON.stringify({ landing: landing.total, stock: stock.total, stockAgain: again.total }, null, 2),
    contentType: "application/json",
  });
  console.log(`bytes on the wire: landing ${landing.total}, stock ${stock.total}, stock again ${again.total}`);
  await fresh.close();
});
