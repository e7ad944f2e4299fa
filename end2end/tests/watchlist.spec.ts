import { test, expect } from "./fixtures/test";
import { freshUsername, hydrated, watchForErrors } from "./fixtures/app";
import { Account, HomePage, StockPage } from "./fixtures/pages";

test("a ticker added from its stock page shows on the landing page", async ({ page }) => {
  const problems = watchForErrors(page);
  const account = new Account(page, freshUsername(), "a long enough password");
  await account.register();
  const msft = new StockPage(page, "MSFT");
  await msft.open();
  await msft.watch();
  await expect(page.getByTestId("watched")).toBeVisible();
  const home = new HomePage(page);
  await home.open();
  await expect(home.watchlist.locator("tr[data-symbol='MSFT']")).toBeVisible();
  expect(problems).toEqual([]);
});

test("logged out, the server refuses a watchlist add and the page says why", async ({ page }) => {
  const problems = watchForErrors(page);
  const goog = new StockPage(page, "GOOG");
  await goog.open();
  await hydrated(page);
  await goog.watch();
  await expect(page.getByTestId("watch-error")).toContainText("Log in to keep a watchlist.");
  const home = new HomePage(page);
  await home.open();
  await expect(home.watchlist).toHaveCount(0);
  expect(problems).toEqual([]);
});
