import { test, expect } from "./fixtures/test";
import { watchForErrors } from "./fixtures/app";
import { PredictPage } from "./fixtures/pages";

test("forecasts served on the predict page are on the track record, waiting for their actual", async ({ page }) => {
  const problems = watchForErrors(page);
  const predict = new PredictPage(page, "MSFT");
  await predict.open();
  await page.getByTestId("track-link").click();
  await expect(page).toHaveURL(/\/track\/MSFT$/);
  const summary = page.getByTestId("track-summary");
  await expect(summary).toBeVisible();
  // The baselines were served a moment ago: recorded, none of them filled yet.
  const naive = summary.locator("tr", { hasText: "Naive random walk" });
  await expect(naive.locator("td").nth(0)).toHaveText(/^[1-9]\d*$/);
  await expect(naive.locator("td").nth(1)).toHaveText("0");
  await expect(page.getByTestId("track-unfilled")).toBeVisible();
  await expect(page.locator("#track-chart canvas")).toBeVisible();
  // The horizon tabs are links, so they work before (or without) hydration too.
  await page.getByRole("link", { name: "1 week" }).click();
  await expect(page).toHaveURL(/\/track\/MSFT\?h=5$/);
  await expect(page.getByRole("link", { name: "1 week" })).toHaveAttribute("aria-current", "page");
  await expect(summary).toBeVisible();
  expect(problems).toEqual([]);
});
