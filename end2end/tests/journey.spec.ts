import { test, expect } from "@playwright/test";
import { Account, chartState, freshUsername, hydrated, isWeekday, watchForErrors } from "./fixtures/app";

// The whole chain as a person uses it: register, log in, quote and chart, ranges, forecasts, watchlist,
// log out.
test("register, quote, chart ranges, news, dated forecasts, watchlist, log out", async ({ page }) => {
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
  // sessions are Monday 4, Tuesday 5 and Friday 8 March.
  await page.getByRole("link", { name: "Forecasts" }).click();
  await expect(page).toHaveURL(/\/predict\/GOOG$/);
  const table = page.getByTestId("forecasts");
  for (const h of ["1", "2", "5"]) {
    await expect(table.locator(`tr[data-model='naive'] td[data-h='${h}'] .point`)).toHaveText("806.19");
    await expect(table.locator(`tr[data-model='drift'] td[data-h='${h}'] .interval`)).toContainText("–");
  }
  const expected: Record<string, [string, string]> = {
    "1": ["2013-03-04", "Mon 4 Mar 2013"],
    "2": ["2013-03-05", "Tue 5 Mar 2013"],
    "5": ["2013-03-08", "Fri 8 Mar 2013"],
  };
  for (const [h, [iso, shown]] of Object.entries(expected)) {
    const header = table.locator(`th[data-horizon='${h}']`);
    await expect(header).toHaveAttribute("data-target-date", iso);
    await expect(header).toContainText(shown);
    expect(isWeekday(iso)).toBe(true);
  }
  await expect(page.getByTestId("baselines-only")).toContainText("Not served yet");
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
