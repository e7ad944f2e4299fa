import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { test, expect } from "../tests/fixtures/test";
import { hydrated, registerAdministrator, untilRoleShows, watchForErrors } from "../tests/fixtures/app";

test.describe.configure({ mode: "serial" });

test("search “app”, pick Apple, watch its history arrive, then its chart and forecasts", async ({ page }) => {
  test.setTimeout(120_000);
  const problems = watchForErrors(page);
  await page.goto("/");
  await hydrated(page);
  const box = page.getByRole("combobox", { name: "Ticker symbol" }).first();
  await box.fill("app");
  const apple = page.getByRole("option", { name: /AAPL/ }).first();
  await expect(apple).toBeVisible();
  await expect(apple).toContainText("Apple Inc.");
  await expect(apple).toContainText("fetched on first visit");
  // Keyboard: down to the first suggestion, Enter opens it.
  await box.press("ArrowDown");
  await expect(apple).toHaveAttribute("aria-selected", "true");
  await box.press("Enter");
  await expect(page).toHaveURL(/\/stock\/AAPL$/);

  // The first visit shows the backfill's real progress, then the page turns into the chart.
  // (The stand-in provider takes 1.5 s per chart answer, so the fetch is always seen.)
  const onboarding = page.getByTestId("onboarding");
  const chart = page.locator("#price-chart canvas").first();
  await expect(onboarding).toBeVisible();
  await expect(onboarding).toContainText("Fetching 20 years of daily bars from yahoo");
  await expect(onboarding.getByTestId("job-progress")).toBeVisible();
  await expect(chart).toBeVisible({ timeout: 90_000 });
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Apple Inc.");
  // Its history downloads as it is stored.
  const download = page.getByTestId("download-prices");
  await expect(download).toHaveAttribute("href", "/api/v1/export/prices/AAPL?format=csv");
  const file = await page.request.get("/api/v1/export/prices/AAPL?format=csv");
  expect(file.headers()["content-disposition"]).toBe('attachment; filename="AAPL-prices.csv"');
  const lines = (await file.text()).trim().split("\n");
  expect(lines[0]).toBe("date,open,high,low,close,volume,adj_open,adj_high,adj_low,adj_close");
  expect(lines.length).toBeGreaterThan(1000);

  await page.getByRole("link", { name: "Forecasts" }).click();
  await expect(page).toHaveURL(/\/predict\/AAPL$/);
  await expect(page.locator("[data-model='naive']").first()).toBeVisible();
  expect(problems).toEqual([]);
});

test("without JavaScript the search is a results page and an unknown symbol a real 404", async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  const res = await page.goto("/search?q=apple");
  expect(res!.status()).toBe(200);
  await expect(page.getByTestId("search-results").getByRole("link", { name: /AAPL/ })).toBeVisible();
  const missing = await page.goto("/stock/ZZZZQ");
  expect(missing!.status()).toBe(404);
  await expect(page.getByTestId("not-found")).toContainText("No market-data provider (yahoo) knows");
  await context.close();
});

/** A Yahoo Finance download made from the bundled Microsoft series: its last `rows` days. */
function yahooCsv(rows: number): string {
  const lines = readFileSync("../server/data/prices/msft_1986_2017.csv", "utf8").trim().split("\n").slice(1);
  const picked = lines.slice(-rows);
  const body = picked.map((l) => {
    const [date, open, high, low, close, volume] = l.split(",");
    return `${date},${open},${high},${low},${close},${close},${volume}`;
  });
  return ["Date,Open,High,Low,Close,Adj Close,Volume", ...body].join("\n") + "\n";
}

test("an administrator imports a Yahoo download: preview, import, chart, forecasts; 30 rows say what they cannot do", async ({ page, baseURL }) => {
  test.setTimeout(120_000);
  // Registered, then made an administrator from the command line; the server trusts a standing it
  // has read for `AUTH_CACHE_SECS` (as documented), so the new role shows after that.
  const { granted } = await registerAdministrator(page, baseURL!);
  await untilRoleShows(page, granted);
  // The test's own output folder: Playwright empties it at the start of every run.
  const dir = test.info().outputPath();
  const full = join(dir, "MSFT-download.csv");
  writeFileSync(full, yahooCsv(600));

  await page.goto("/admin/import");
  await hydrated(page);
  await page.getByLabel("Symbol", { exact: true }).fill("MSFTX");
  await page.getByLabel("Name (for a new ticker)").fill("Microsoft (imported)");
  await page.getByLabel("CSV file").setInputFiles(full);
  await page.getByRole("button", { name: "Preview" }).click();
  const report = page.getByTestId("import-report");
  await expect(report).toContainText("MSFTX: 600 rows of a Yahoo Finance download");
  await expect(report).toHaveAttribute("data-committed", "false");
  await expect(report.locator("table.preview tbody tr")).toHaveCount(5);
  await page.getByRole("button", { name: "Import" }).click();
  await expect(report).toHaveAttribute("data-committed", "true");
  await expect(page.getByTestId("import-outcome")).toContainText("Stored: 600 new");
  await report.getByRole("link", { name: "See the chart and the forecasts" }).click();
  await expect(page).toHaveURL(/\/stock\/MSFTX$/);
  await expect(page.locator("#price-chart canvas").first()).toBeVisible();
  await page.getByRole("link", { name: "Forecasts" }).click();
  await expect(page.locator("[data-model='naive']").first()).toBeVisible();

  // Thirty rows: stored, and the page says plainly that the trained models need more.
  const short = join(dir, "short.csv");
  writeFileSync(short, yahooCsv(30));
  await page.goto("/admin/import");
  await hydrated(page);
  await page.getByLabel("Symbol", { exact: true }).fill("TINY");
  await page.getByLabel("CSV file").setInputFiles(short);
  await page.getByRole("button", { name: "Preview" }).click();
  await page.getByRole("button", { name: "Import" }).click();
  await expect(page.getByTestId("history-note")).toContainText("TINY now has 30 trading days");
  await expect(page.getByTestId("history-note")).toContainText("needs 85 trading days");
  await page.goto("/predict/TINY");
  await expect(page.locator("[data-status='insufficient_history']").first()).toContainText("needs");

  // A broken file is refused whole, with its lines.
  const broken = join(dir, "broken.csv");
  writeFileSync(broken, "Date,Open,High,Low,Close,Adj Close,Volume\n2024-01-02,10,9,11,10,10,5\n");
  await page.goto("/admin/import");
  await hydrated(page);
  await page.getByLabel("Symbol", { exact: true }).fill("BROKEN");
  await page.getByLabel("CSV file").setInputFiles(broken);
  await page.getByRole("button", { name: "Preview" }).click();
  await expect(page.getByTestId("import-problems")).toContainText("line 2");
});
