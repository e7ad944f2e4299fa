import { test, expect } from "./fixtures/test";
import { watchForErrors } from "./fixtures/app";
import { StockPage } from "./fixtures/pages";

test("the stock page shows the quote, the market status, company facts and why news is missing", async ({ page }) => {
  const problems = watchForErrors(page);
  const stock = new StockPage(page, "GOOG");
  await stock.open();
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
  expect(problems).toEqual([]);
});

test("range buttons redraw the chart without a page load, long ranges downsampled", async ({ page }) => {
  const problems = watchForErrors(page);
  const stock = new StockPage(page, "GOOG");
  await stock.open();
  const canvas = page.locator("#price-chart canvas").first();
  await expect(canvas).toBeVisible();
  const box = await canvas.boundingBox();
  expect(box!.width).toBeGreaterThan(100);
  expect(box!.height).toBeGreaterThan(100);
  expect((await stock.chart("1Y")).points).toBeGreaterThan(200);

  let navigated = false;
  page.on("framenavigated", (f) => {
    if (f === page.mainFrame()) navigated = true;
  });
  await stock.range("5Y").click();
  const fiveYears = await stock.chart("5Y");
  expect(fiveYears.first >= "2008-03-01").toBe(true);
  expect(fiveYears.points).toBeGreaterThan(50);
  await stock.range("MAX").click();
  const max = await stock.chart("MAX");
  expect(max.first).toBe("2004-08-19");
  expect(max.points).toBeGreaterThan(50);
  expect(max.points).toBeLessThanOrEqual(520);
  await stock.range("1M").click();
  expect((await stock.chart("1M")).points).toBeLessThan(25);
  expect(navigated).toBe(false);
  expect(problems).toEqual([]);
});

test("an intraday range says a provider key is needed instead of drawing nothing", async ({ page }) => {
  const stock = new StockPage(page, "GOOG");
  await stock.open();
  await stock.range("1D").click();
  await expect(page.locator("[data-testid='series-reason'][data-range='1D']")).toContainText(/provider key/i);
  await expect(stock.range("1D")).toHaveAttribute("aria-pressed", "true");
});
