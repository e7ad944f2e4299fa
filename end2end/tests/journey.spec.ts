import { test, expect } from "@playwright/test";
import { Account, freshUsername, hydrated, watchForErrors } from "./fixtures/app";

// The whole chain as a person uses it: register, log in, chart, ranges, forecasts, watchlist, log out.
test("register, chart, forecasts, watchlist, log out", async ({ page }) => {
  const problems = watchForErrors(page);
  const account = new Account(page, freshUsername(), "a long enough password");

  await account.register();
  await account.logOut();
  await account.logIn();

  // Stock page: a real chart after hydration.
  await page.goto("/stock/GOOG");
  await hydrated(page);
  const chart = page.locator("#price-chart");
  const canvas = chart.locator("canvas").first();
  await expect(canvas).toBeVisible();
  const box = await canvas.boundingBox();
  expect(box!.width).toBeGreaterThan(100);
  expect(box!.height).toBeGreaterThan(100);
  await expect(page.getByTestId("last-close")).toHaveText("806.19");

  // A range button changes the data without a page load.
  const pointsBefore = Number(await chart.getAttribute("data-points"));
  let navigated = false;
  page.on("framenavigated", (f) => {
    if (f === page.mainFrame()) navigated = true;
  });
  await page.getByRole("button", { name: "5Y" }).click();
  await expect(page.locator("#price-chart[data-range='5Y']")).toBeVisible();
  const pointsAfter = Number(await page.locator("#price-chart").getAttribute("data-points"));
  expect(pointsAfter).toBeGreaterThan(pointsBefore * 4);
  await expect(page.locator("#price-chart canvas").first()).toBeVisible();
  await page.getByRole("button", { name: "1M" }).click();
  await expect(page.locator("#price-chart[data-range='1M']")).toBeVisible();
  expect(Number(await page.locator("#price-chart").getAttribute("data-points"))).toBeLessThan(25);
  expect(navigated).toBe(false);

  // Forecasts for the three horizons.
  await page.getByRole("link", { name: "Forecasts" }).click();
  await expect(page).toHaveURL(/\/predict\/GOOG$/);
  const table = page.getByTestId("forecasts");
  for (const h of ["1", "2", "5"]) {
    await expect(table.locator(`tr[data-model='naive'] td[data-h='${h}'] .point`)).toHaveText("806.19");
    await expect(table.locator(`tr[data-model='drift'] td[data-h='${h}'] .interval`)).toContainText("–");
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
