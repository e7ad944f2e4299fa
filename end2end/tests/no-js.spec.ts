import { test, expect } from "./fixtures/test";

// The server-rendered pages alone, as a browser without JavaScript (or before the WebAssembly loads)
// sees them: everything is there, and the range buttons work as a plain form.
test.use({ javaScriptEnabled: false });

test("the stock page works without JavaScript", async ({ page }) => {
  const res = await page.goto("/stock/GOOG");
  expect(res!.status()).toBe(200);
  await expect(page.getByTestId("last-close")).toHaveText("806.19");
  await expect(page.getByTestId("market-status").getByRole("status")).toHaveText(/^Market (open|closed)/);
  await expect(page.getByTestId("news-unavailable")).toContainText(/no news provider is configured/i);
  await expect(page.getByTestId("company")).toBeVisible();
  await expect(page.locator("#price-chart[data-range='1Y']")).toHaveAttribute("role", "img");

  // The indicators' latest values, as a table, and the readout of the last bar.
  await expect(page.getByTestId("readout-date")).toHaveText("2013-03-01");
  await expect(page.getByTestId("readout-close")).toHaveText("806.19");
  const table = page.getByTestId("indicator-table");
  await expect(table).toHaveAttribute("data-date", "2013-03-01");
  await page.locator(".indicator-table summary").click();
  for (const name of ["SMA 20", "SMA 50", "SMA 200", "EMA 12", "EMA 26", "BB upper", "RSI 14", "MACD"]) {
    await expect(table.locator(`td[data-indicator='${name}']`)).toHaveText(/^-?[\d,]+\.\d\d$/);
  }

  await page.getByRole("button", { name: "MAX", exact: true }).click();
  await expect(page).toHaveURL(/\/stock\/GOOG\?range=MAX$/);
  const max = page.locator("#price-chart[data-range='MAX']");
  await expect(max).toHaveAttribute("data-first", "2004-08-19");
  await expect(page.getByRole("button", { name: "MAX", exact: true })).toHaveAttribute("aria-pressed", "true");

  const oneDay = await page.goto("/stock/GOOG?range=1D");
  expect(oneDay!.status()).toBe(200);
  await expect(page.getByTestId("series-reason")).toContainText(/provider key/i);
});

test("the predict page shows its target dates without JavaScript", async ({ page }) => {
  // MSFT's last bundled bar is Friday 2017-11-10: its sessions are Monday 13, Tuesday 14 and
  // Friday 17 November. (GOOG is left to the predict spec, which follows its training.)
  const res = await page.goto("/predict/MSFT");
  expect(res!.status()).toBe(200);
  const day = page.locator("[data-testid='predictions'][data-horizon='1']");
  await expect(day.locator("caption")).toContainText("Mon 13 Nov 2017");
  const week = page.locator("[data-testid='predictions'][data-horizon='5']");
  await expect(week.locator("tr[data-model='naive'] td[data-h='5']")).toHaveAttribute("data-target-date", "2017-11-17");
  // Nobody is logged in and nobody trained MSFT's models: the baselines are there, and the page
  // says, without any script, how to get the rest.
  await expect(page.getByTestId("baselines-only")).toBeVisible();
  await expect(page.getByTestId("why-not-trained")).toContainText("Log in");
  await expect(page.getByRole("link", { name: "Log in" }).last()).toHaveAttribute("href", "/login");
});
