import { test, expect } from "./fixtures/test";
import { hydrated } from "./fixtures/app";

test("unknown and malformed tickers get a real 404 page", async ({ page }) => {
  for (const path of ["/stock/ZZZZZ", "/stock/%24%24%24", "/predict/NOPE"]) {
    const res = await page.goto(path);
    expect(res!.status(), path).toBe(404);
    await expect(page.getByTestId("not-found")).toBeVisible();
  }
});

test("the search box goes to the stock page, index symbols included", async ({ page }) => {
  await page.goto("/");
  await hydrated(page);
  await page.getByRole("combobox", { name: "Ticker symbol" }).first().fill("^gspc");
  await page.getByRole("combobox", { name: "Ticker symbol" }).first().press("Enter");
  await expect(page).toHaveURL(/\/stock\/%5EGSPC$/);
  await expect(page.getByRole("heading", { level: 1 })).toContainText("S&P 500 index");
});
