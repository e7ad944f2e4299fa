import { test, expect } from "./fixtures/test";
import { hydrated, isWeekday, watchForErrors } from "./fixtures/app";
import { Account, PredictPage, StockPage } from "./fixtures/pages";
import { freshUsername } from "./fixtures/app";

// From Friday 2013-03-01 the next sessions are Monday 4, Tuesday 5 and Friday 8 March.
const expected: Record<string, [string, string]> = {
  "1": ["2013-03-04", "Mon 4 Mar 2013"],
  "2": ["2013-03-05", "Tue 5 Mar 2013"],
  "5": ["2013-03-08", "Fri 8 Mar 2013"],
};

// One run of the test server trains GOOG's models once; the tests follow that training in order.
test.describe.configure({ mode: "serial" });

test("the baselines are shown at once, each horizon dated on a trading day", async ({ page }) => {
  const problems = watchForErrors(page);
  const stock = new StockPage(page, "GOOG");
  await stock.open();
  await page.getByRole("link", { name: "Forecasts" }).click();
  await expect(page).toHaveURL(/\/predict\/GOOG$/);
  const predict = new PredictPage(page, "GOOG");
  for (const [h, [iso, shown]] of Object.entries(expected)) {
    const table = predict.table(h);
    await expect(table).toHaveAttribute("data-target-date", iso);
    await expect(table.locator("caption")).toContainText(shown);
    expect(isWeekday(iso)).toBe(true);
    await expect(predict.row(h, "naive").locator(`td[data-h='${h}'] .point`)).toHaveText("806.19");
    await expect(predict.row(h, "drift").locator(".interval")).toContainText("–");
  }
  await expect(page.getByTestId("baselines-only")).toContainText("Not served yet");
  // Nobody is logged in, so nothing is queued; the page says how to get the models trained.
  await expect(page.getByTestId("why-not-trained")).toContainText("Log in");
  await expect(predict.progress).toHaveCount(0);
  await expect(page.getByTestId("how-to-read")).toContainText("How to read this");
  await expect(predict.chartCanvas).toBeVisible();
  expect(problems).toEqual([]);
});

test("the bar follows the real training, then every model is listed with its record", async ({ page }) => {
  // Training the models on the short evaluation protocol of the test server takes part of this.
  test.setTimeout(180_000);
  const problems = watchForErrors(page);
  // An account may have models trained (within its daily budget).
  await new Account(page, freshUsername(), "a long enough password").register();
  const predict = new PredictPage(page, "GOOG");
  await predict.open();
  await hydrated(page);
  // This account's visit queued the training that anonymous visits could not. The bar shows
  // what the job row says: its percentage moves (or the job is done) before the models appear.
  // Every value seen is recorded, so a bar that never moved fails.
  await expect(predict.progress).toBeVisible();
  const { seen, lastStatus } = await predict.followTraining(150_000);
  expect(seen.size > 1 || lastStatus === "done").toBe(true);
  await expect(predict.progress).toHaveAttribute("data-status", "done");
  await expect(predict.progress.getByTestId("job-percent")).toHaveText("100%");
  await expect(page.getByTestId("baselines-only")).toHaveCount(0);
  for (const [h, [iso, shown]] of Object.entries(expected)) {
    const table = predict.table(h);
    await expect(table).toHaveAttribute("data-target-date", iso);
    await expect(table.locator("caption")).toContainText(shown);
    await expect(predict.row(h, "naive").locator(`td[data-h='${h}'] .point`)).toHaveText("806.19");
    await expect(predict.row(h, "drift").locator(`td[data-h='${h}']`)).toHaveAttribute("data-target-date", iso);
    // The random walk is the yardstick of the others' error.
    await expect(predict.row(h, "naive").locator(".mae-rel")).toHaveText("1.00");
    await expect(predict.row(h, "drift").locator(".signal")).toHaveText(/^(HOLD|BUY \d+%.*|SELL \d+%.*)$/);
    // Every other model either answers with its record or says plainly why not.
    const rows = table.locator("tbody tr");
    expect(await rows.count()).toBeGreaterThanOrEqual(7);
    for (const row of await rows.all()) {
      const state = await row.getAttribute("data-status");
      if (state !== "ready") {
        await expect(row.locator(".unavailable")).not.toBeEmpty();
        continue;
      }
      await expect(row.locator(".window")).toContainText("origins");
      // A record without demonstrated skill says so in words and never calls a direction.
      const verdict = row.locator(".verdict");
      if ((await verdict.getAttribute("data-skilful")) !== "true") {
        await expect(verdict).toContainText(/no better than a random walk/i);
        await expect(row.locator(".signal")).toHaveText("HOLD");
      } else {
        await expect(verdict).toContainText("Beats the random walk");
      }
    }
  }
  await expect(predict.chartCanvas).toBeVisible();
  expect(problems).toEqual([]);
});
