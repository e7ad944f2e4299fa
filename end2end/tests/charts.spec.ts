import { test, expect } from "./fixtures/test";
import { freshUsername, hydrated, watchForErrors } from "./fixtures/app";
import { Account, StockPage } from "./fixtures/pages";
import type { Page, TestInfo } from "@playwright/test";

/** Screenshots of the pages are kept as artifacts of the suite (`end2end/artifacts/`). */
async function keepScreenshot(page: Page, info: TestInfo, name: string) {
  // ECharts animates the first drawing for about a second.
  await page.waitForTimeout(1500);
  const path = `artifacts/screenshots/${name}.png`;
  await page.screenshot({ path, fullPage: true });
  await info.attach(name, { path, contentType: "image/png" });
}

type Indicators = { dates: string[]; sma50: (number | null)[]; rsi14: (number | null)[] };

test("SMA 50 and RSI switched on are drawn, and the readout shows the API's values for the bar under the crosshair", async ({ page, request }, info) => {
  const problems = watchForErrors(page);
  const stock = new StockPage(page, "GOOG");
  await stock.open();
  await stock.chart("1Y");
  const before = await stock.canvasImage();
  const height = await page.locator("#price-chart").evaluate((e) => e.getBoundingClientRect().height);

  await stock.toggleIndicator("sma50");
  await stock.toggleIndicator("rsi");
  await expect.poll(() => stock.canvasImage()).not.toBe(before);
  await expect.poll(async () => (await stock.drawn()).series).toEqual(expect.arrayContaining(["SMA 50", "RSI 14", "Volume"]));
  // The RSI pane made the chart taller.
  expect(await page.locator("#price-chart").evaluate((e) => e.getBoundingClientRect().height)).toBeGreaterThan(height + 50);

  const api: Indicators = await (await request.get("/api/v1/indicators/GOOG?range=1Y")).json();
  const close = (value: number | null, expected: number | null) => {
    expect(value).not.toBeNull();
    expect(expected).not.toBeNull();
    // Shown to two decimals.
    expect(Math.abs(value! - expected!)).toBeLessThanOrEqual(0.005 + 1e-9);
  };

  // Hover a bar in the middle of the price grid.
  const box = (await page.locator("#price-chart canvas").first().boundingBox())!;
  await page.mouse.move(box.x + 64 + (box.width - 88) * 0.4, box.y + 150);
  await expect.poll(async () => (await stock.readout("SMA 50")).date).not.toBe(api.dates[api.dates.length - 1]);
  const hovered = await stock.readout("SMA 50");
  const i = api.dates.indexOf(hovered.date);
  expect(i).toBeGreaterThan(0);
  close(hovered.value, api.sma50[i]);
  close((await stock.readout("RSI 14")).value, api.rsi14[i]);

  // The keyboard steps bar by bar.
  await page.mouse.move(0, 0);
  await page.locator("#price-chart").focus();
  await page.keyboard.press("End");
  await expect(page.getByTestId("readout-date")).toHaveText(api.dates[api.dates.length - 1]);
  await page.keyboard.press("ArrowLeft");
  await expect(page.getByTestId("readout-date")).toHaveText(api.dates[api.dates.length - 2]);
  close((await stock.readout("SMA 50")).value, api.sma50[api.dates.length - 2]);

  // Remembered across a reload.
  await page.reload();
  await hydrated(page);
  await expect.poll(async () => (await stock.drawn()).series).toEqual(expect.arrayContaining(["SMA 50", "RSI 14"]));
  await keepScreenshot(page, info, "stock-desktop");
  expect(problems).toEqual([]);
});

test("a logged-in reader's indicators follow the account to another browser", async ({ page, browser }) => {
  const problems = watchForErrors(page);
  const username = freshUsername();
  await new Account(page, username, "a long enough password").register();
  const stock = new StockPage(page, "GOOG");
  await stock.open();
  await stock.chart("1Y");
  const saved = page.waitForResponse((r) => r.url().endsWith("/api/save_chart_indicators") && r.ok());
  await stock.toggleIndicator("sma200");
  await saved;

  // Another browser: no local storage, the same account.
  const other = await browser.newContext();
  const elsewhere = await other.newPage();
  await new Account(elsewhere, username, "a long enough password").logIn();
  const again = new StockPage(elsewhere, "GOOG");
  await again.open();
  await again.chart("1Y");
  await expect.poll(async () => (await again.drawn()).series).toContain("SMA 200");
  await other.close();
  expect(problems).toEqual([]);
});

test("compare MSFT with ^GSPC: both drawn as percentage change, and the log scale switch", async ({ page }) => {
  const problems = watchForErrors(page);
  const stock = new StockPage(page, "MSFT");
  await stock.open();
  await stock.chart("1Y");
  await page.getByTestId("log-scale").check();
  await expect.poll(async () => (await stock.drawn()).priceAxis).toBe("log");
  await page.getByTestId("log-scale").uncheck();
  await expect.poll(async () => (await stock.drawn()).priceAxis).toBe("value");

  await stock.compareWith("^gspc");
  await expect(page.getByTestId("compare-clear")).toHaveText("vs ^GSPC ×");
  await expect.poll(async () => (await stock.drawn()).legend).toEqual(["MSFT", "^GSPC"]);
  // Percentages can be negative: no log scale while comparing.
  await expect(page.getByTestId("log-scale")).toBeDisabled();
  // A range change fetches the compared ticker's series again.
  await stock.range("5Y").click();
  await stock.chart("5Y");
  await expect.poll(async () => (await stock.drawn()).series).toContain("^GSPC");

  await stock.compareWith("ZZZZ");
  await expect(page.getByTestId("compare-error")).toContainText("ZZZZ");
  await page.getByTestId("compare-clear").click();
  await expect.poll(async () => (await stock.drawn()).series).not.toContain("^GSPC");
  // The unknown symbol's 404 is the only failed request.
  expect(problems.filter((p) => !p.includes("HTTP 404") && !p.includes("404 (Not Found)"))).toEqual([]);
});

test("the stock page on a phone: the chart fits and the controls are thumb-sized", async ({ page }, info) => {
  await page.setViewportSize({ width: 390, height: 844 });
  const stock = new StockPage(page, "GOOG");
  await stock.open();
  await stock.chart("1Y");
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  const button = (await stock.range("5Y").boundingBox())!;
  expect(button.height).toBeGreaterThanOrEqual(44);
  await keepScreenshot(page, info, "stock-phone");
});

test("the forecast chart's default legend has at most five entries, every model one click away", async ({ page }, info) => {
  const problems = watchForErrors(page);
  await page.goto("/predict/GOOG");
  await hydrated(page);
  const chart = page.locator("#forecast-chart");
  await expect(chart.locator("canvas").first()).toBeVisible();
  const legend = () =>
    page.evaluate(() => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const option = (window as any).echarts.getInstanceByDom(document.getElementById("forecast-chart")).getOption();
      // ECharts keeps legend entries as `{ name }` objects.
      return (option.legend[0].data as ({ name: string } | string)[]).map((d) => (typeof d === "string" ? d : d.name));
    });
  const first = await legend();
  expect(first.length).toBeLessThanOrEqual(5);
  expect(first).toContain("Naive random walk");
  await expect(page.getByTestId("fan-note")).toContainText(/random walk/);
  // Anonymous, GOOG has its baselines only: the drift model is the one left out by default.
  const all = page.getByTestId("fan-all");
  await expect(all).toHaveText("Show all models (+1)");
  await all.click();
  await expect.poll(async () => (await legend()).length).toBeGreaterThan(first.length);
  await all.click();
  await expect.poll(async () => (await legend()).length).toBe(first.length);
  await keepScreenshot(page, info, "predict-desktop");
  expect(problems).toEqual([]);
});

test("the predict page on a 390×844 phone shows one horizon's table without horizontal scrolling", async ({ page }, info) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto("/predict/GOOG");
  await hydrated(page);
  const tables = page.locator("[data-testid='predictions']");
  await expect(tables.first()).toBeVisible();
  await expect(tables.locator("visible=true")).toHaveCount(1);
  await expect(page.locator("[data-testid='predictions'][data-horizon='1']")).toBeVisible();
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);

  await page.getByTestId("horizon-tabs").getByRole("tab", { name: "2 days" }).click();
  await expect(page.locator("[data-testid='predictions'][data-horizon='2']")).toBeVisible();
  await expect(page.locator("[data-testid='predictions'][data-horizon='1']")).toBeHidden();
  // The detail columns are one tap away.
  const row = page.locator("[data-testid='predictions'][data-horizon='2'] tr[data-model='naive']");
  await expect(row.locator("td.mae-rel")).toBeHidden();
  await row.locator(".row-details summary").click();
  await expect(row.locator(".row-details")).toContainText("MAE / naive");
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await keepScreenshot(page, info, "predict-phone");
});
