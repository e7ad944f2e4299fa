import { test, expect } from "@playwright/test";
import { Account, chartState, freshUsername, hydrated, isWeekday, watchForErrors } from "./fixtures/app";

// The whole chain as a person uses it: register, log in, quote and chart, ranges, forecasts, watchlist,
// log out.
test("register, quote, chart ranges, news, dated forecasts, watchlist, log out", async ({ page }) => {
  // Training the models on the short evaluation protocol of the test server takes part of this.
  test.setTimeout(180_000);
  const problems = watchForErrors(page);
  const account = new Account(page, freshUsername(), "a long enough password");

  await account.register();
  await account.logOut();
  await account.logIn();

  // Stock page: the market badge, the quote, company facts and news, and a real chart after hydration.
  await page.goto("/stock/GOOG");
  await hydrated(page);
  await expect(page.getByTestId("market-status").getByRole("status")).toHaveText(/^Market (open|closed)/);
  await expect(page.getByTestId("market-status")).toContainText(/(Opens|Closes) .* New York time/);
  await expect(page.getByTestId("last-close")).toHaveText("806.19");
  await expect(page.getByTestId("change")).toHaveText("+4.99 (+0.62%)");
  await expect(page.getByTestId("quote-as-of")).toContainText("Fri 1 Mar 2013, 16:00 New York time");
  const company = page.getByTestId("company");
  await expect(company).toBeVisible();
  // Unknown facts are absent, never a zero.
  await expect(company.locator("dd", { hasText: /^-?0(\.0+)?%?( [A-Z]{3})?$/ })).toHaveCount(0);
  await expect(page.getByTestId("news-unavailable")).toContainText(/no news provider is configured/i);

  const chart = page.locator("#price-chart");
  const canvas = chart.locator("canvas").first();
  await expect(canvas).toBeVisible();
  const box = await canvas.boundingBox();
  expect(box!.width).toBeGreaterThan(100);
  expect(box!.height).toBeGreaterThan(100);
  const oneYear = await chartState(page, "1Y");
  expect(oneYear.points).toBeGreaterThan(200);

  // Range buttons redraw without a page load; long ranges arrive downsampled.
  let navigated = false;
  page.on("framenavigated", (f) => {
    if (f === page.mainFrame()) navigated = true;
  });
  await page.getByRole("button", { name: "5Y", exact: true }).click();
  const fiveYears = await chartState(page, "5Y");
  expect(fiveYears.first >= "2008-03-01").toBe(true);
  expect(fiveYears.points).toBeGreaterThan(50);
  await page.getByRole("button", { name: "MAX", exact: true }).click();
  const max = await chartState(page, "MAX");
  expect(max.first).toBe("2004-08-19");
  expect(max.points).toBeGreaterThan(50);
  expect(max.points).toBeLessThanOrEqual(520);
  await page.getByRole("button", { name: "1M", exact: true }).click();
  expect((await chartState(page, "1M")).points).toBeLessThan(25);

  // Intraday needs a provider key, and the page says so instead of drawing nothing.
  await page.getByRole("button", { name: "1D", exact: true }).click();
  await expect(page.locator("[data-testid='series-reason'][data-range='1D']")).toContainText(/provider key/i);
  await expect(page.getByRole("button", { name: "1D", exact: true })).toHaveAttribute("aria-pressed", "true");
  expect(navigated).toBe(false);

  // Forecasts for the three horizons, each dated on a trading day: from Friday 2013-03-01 the next
  // sessions are Monday 4, Tuesday 5 and Friday 8 March. The baselines are there at once while the
  // other models train; the bar follows the training job, then every model is listed.
  await page.getByRole("link", { name: "Forecasts" }).click();
  await expect(page).toHaveURL(/\/predict\/GOOG$/);
  const baselines = page.getByTestId("forecasts");
  for (const h of ["1", "2", "5"]) {
    await expect(baselines.locator(`tr[data-model='naive'] td[data-h='${h}'] .point`)).toHaveText("806.19");
    await expect(baselines.locator(`tr[data-model='drift'] td[data-h='${h}'] .interval`)).toContainText("–");
  }
  const expected: Record<string, [string, string]> = {
    "1": ["2013-03-04", "Mon 4 Mar 2013"],
    "2": ["2013-03-05", "Tue 5 Mar 2013"],
    "5": ["2013-03-08", "Fri 8 Mar 2013"],
  };
  for (const [h, [iso, shown]] of Object.entries(expected)) {
    const header = baselines.locator(`th[data-horizon='${h}']`);
    await expect(header).toHaveAttribute("data-target-date", iso);
    await expect(header).toContainText(shown);
    expect(isWeekday(iso)).toBe(true);
  }
  await expect(page.getByTestId("baselines-only")).toContainText("Not served yet");
  await expect(page.locator("#forecast-chart canvas").first()).toBeVisible();

  // The bar shows what the job row says: its percentage moves (or the job is done) before the
  // models appear. Every value seen is recorded, so a bar that never moved fails.
  const progress = page.getByTestId("job-progress");
  await expect(progress).toBeVisible();
  const tables = page.getByTestId("predictions");
  const seen = new Set<string>();
  let lastStatus = "";
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    const status = await progress.getAttribute("data-status");
    if (status) lastStatus = status;
    const percent = await progress.getByTestId("job-percent").textContent().catch(() => null);
    if (percent) seen.add(percent);
    if ((await tables.count()) > 0) break;
    expect(status).not.toBe("failed");
    await page.waitForTimeout(200);
  }
  expect(seen.size > 1 || lastStatus === "done").toBe(true);
  await expect(progress).toHaveAttribute("data-status", "done");
  await expect(progress.getByTestId("job-percent")).toHaveText("100%");

  await expect(tables).toHaveCount(3);
  for (const [h, [iso, shown]] of Object.entries(expected)) {
    const table = page.locator(`[data-testid='predictions'][data-horizon='${h}']`);
    await expect(table).toHaveAttribute("data-target-date", iso);
    await expect(table.locator("caption")).toContainText(shown);
    await expect(table.locator(`tr[data-model='naive'] td[data-h='${h}'] .point`)).toHaveText("806.19");
    await expect(table.locator(`tr[data-model='drift'] td[data-h='${h}']`)).toHaveAttribute("data-target-date", iso);
    // The random walk is the yardstick of the others' error.
    await expect(table.locator("tr[data-model='naive'] .mae-rel")).toHaveText("1.00");
    await expect(table.locator("tr[data-model='drift'] .signal")).toHaveText(/^(HOLD|BUY \d+%|SELL \d+%)$/);
    // Every other model either answers with its record or says plainly why not.
    const rows = table.locator("tbody tr");
    expect(await rows.count()).toBeGreaterThanOrEqual(7);
    for (const row of await rows.all()) {
      const state = await row.getAttribute("data-status");
      if (state === "ready") await expect(row.locator(".window")).toContainText("origins");
      else await expect(row.locator(".unavailable")).not.toBeEmpty();
    }
  }
  await expect(page.getByTestId("forecasts")).toHaveCount(0);
  await expect(page.locator("#forecast-chart canvas").first()).toBeVisible();

  // Watchlist: add from the stock page, see it on the landing page.
  await page.goto("/stock/MSFT");
  await hydrated(page);
  await page.getByTestId("watch").click();
  await expect(page.getByTestId("watched")).toBeVisible();
  await page.goto("/");
  await expect(page.getByTestId("watchlist").locator("tr[data-symbol='MSFT']")).toBeVisible();

  // Logged out, the server refuses the add and the page says why.
  await account.logOut();
  await page.goto("/stock/GOOG");
  await hydrated(page);
  await page.getByTestId("watch").click();
  await expect(page.getByTestId("watch-error")).toContainText("Log in to keep a watchlist.");
  await page.goto("/");
  await expect(page.getByTestId("watchlist")).toHaveCount(0);

  expect(problems).toEqual([]);
});
