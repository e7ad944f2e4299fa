import { test, expect } from "./fixtures/test";
import { freshUsername, hydrated, watchForErrors } from "./fixtures/app";
import { Account } from "./fixtures/pages";

test("an account registers, logs out and logs back in", async ({ page }) => {
  const problems = watchForErrors(page);
  const account = new Account(page, freshUsername(), "a long enough password");
  await account.register();
  await account.logOut();
  await account.logIn();
  expect(problems).toEqual([]);
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
