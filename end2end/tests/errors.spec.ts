import { test, expect } from "@playwright/test";
import { Account, freshUsername, hydrated } from "./fixtures/app";

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
  await page.getByRole("searchbox", { name: "Ticker symbol" }).first().fill("^gspc");
  await page.getByRole("searchbox", { name: "Ticker symbol" }).first().press("Enter");
  await expect(page).toHaveURL(/\/stock\/%5EGSPC$/);
  await expect(page.getByRole("heading", { level: 1 })).toContainText("S&P 500 index");
});

test("registration and login explain what is wrong", async ({ page }) => {
  await page.goto("/register");
  await hydrated(page);
  await page.getByLabel("Username").fill(freshUsername());
  await page.getByLabel("Password", { exact: true }).fill("short");
  await page.getByLabel("Repeat the password").fill("short");
  await page.getByRole("button", { name: "Register" }).click();
  await expect(page.getByTestId("form-error")).toContainText("at least 10 characters");

  const account = new Account(page, freshUsername(), "another long password");
  await account.register();
  await account.logOut();

  // A taken username.
  await page.goto("/register");
  await hydrated(page);
  await page.getByLabel("Username").fill(account.username.toUpperCase());
  await page.getByLabel("Password", { exact: true }).fill("yet another password");
  await page.getByLabel("Repeat the password").fill("yet another password");
  await page.getByRole("button", { name: "Register" }).click();
  await expect(page.getByTestId("form-error")).toContainText("taken");

  // Wrong password and unknown user read the same.
  const messages: string[] = [];
  for (const [user, pass] of [
    [account.username, "wrong password!!"],
    ["nobody_" + freshUsername(), "whatever password"],
  ]) {
    await page.goto("/login");
    await hydrated(page);
    await page.getByLabel("Username").fill(user);
    await page.getByLabel("Password").fill(pass);
    await page.getByRole("button", { name: "Log in" }).click();
    await expect(page.getByTestId("form-error")).toBeVisible();
    messages.push((await page.getByTestId("form-error").textContent()) ?? "");
  }
  expect(messages[0]).toBe("Invalid username or password.");
  expect(messages[1]).toBe(messages[0]);
});
