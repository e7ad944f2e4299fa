import { test, expect } from "./fixtures/test";
import { freshUsername, hydrated, watchForErrors } from "./fixtures/app";
import { Account, PredictPage } from "./fixtures/pages";

test("forecasts served on the predict page are on the track record, waiting for their actual", async ({ page }) => {
  // The models are trained first (the short protocol of the test server); their forecasts are
  // recorded when they are computed.
  test.setTimeout(180_000);
  const problems = watchForErrors(page);
  await new Account(page, freshUsername(), "a long enough password").register();
  const predict = new PredictPage(page, "MSFT");
  await predict.open();
  await hydrated(page);
  await predict.followTraining(150_000);
  await expect(predict.progress).toHaveAttribute("data-status", "done");
  await page.getByTestId("track-link").click();
  await expect(page).toHaveURL(/\/track\/MSFT$/);
  const summary = page.getByTestId("track-summary");
  await expect(summary).toBeVisible();
  // Recorded a moment ago: none of them has reached its target session.
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
  // The models page: each trained model's current version, and its strategy backtest as a chart.
  await page.goto("/predict/MSFT");
  await page.getByTestId("models-link").click();
  await expect(page).toHaveURL(/\/models\/MSFT$/);
  const cards = page.getByTestId("model-card");
  await expect(cards.first()).toBeVisible();
  expect(await cards.count()).toBeGreaterThanOrEqual(5);
  const lstm = page.locator("[data-testid='model-card'][data-model='lstm']");
  await expect(lstm.locator("[data-testid='version-row'][data-state='current']")).toHaveCount(1);
  await expect(lstm.getByTestId("strategy")).toContainText("Buy and hold");
  await expect(lstm.locator("canvas")).toBeVisible();
  // Not an administrator: no version can be made current from here.
  await expect(page.getByTestId("roll-back")).toHaveCount(0);
  expect(problems).toEqual([]);
});
