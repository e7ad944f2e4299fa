import { test, expect } from "@playwright/test";

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
  const res = await page.goto("/predict/GOOG");
  expect(res!.status()).toBe(200);
  // Either the models are served already (an earlier visit trained them), or the baselines are
  // shown with a plain reload link while training runs on the server.
  const models = page.locator("[data-testid='predictions'][data-horizon='1']");
  if ((await models.count()) > 0) {
    await expect(models.locator("caption")).toContainText("Mon 4 Mar 2013");
    const week = page.locator("[data-testid='predictions'][data-horizon='5']");
    await expect(week.locator("tr[data-model='naive'] td[data-h='5']")).toHaveAttribute("data-target-date", "2013-03-08");
  } else {
    const table = page.getByTestId("forecasts");
    await expect(table.locator("th[data-horizon='1']")).toContainText("Mon 4 Mar 2013");
    await expect(table.locator("tr[data-model='naive'] td[data-h='5']")).toHaveAttribute("data-target-date", "2013-03-08");
    await expect(page.getByTestId("training")).toContainText("trained on the server");
    await expect(page.getByRole("link", { name: "Reload this page" })).toHaveAttribute("href", "/predict/GOOG");
  }
});
