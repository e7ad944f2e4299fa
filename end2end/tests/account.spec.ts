import { test, expect } from "./fixtures/test";
import { freshUsername, hydrated, watchForErrors } from "./fixtures/app";
import { Account, AccountPage } from "./fixtures/pages";

test("a logged-out visitor is asked to log in for keys", async ({ page }) => {
  await page.goto("/account");
  await hydrated(page);
  await expect(page.getByTestId("login-needed")).toBeVisible();
});

test("a key is made, shown once, works on the API, and stops working once revoked", async ({ page, request }) => {
  const problems = watchForErrors(page);
  const account = new Account(page, freshUsername(), "a long enough password");
  await account.register();
  await page.getByTestId("account-link").click();
  await expect(page).toHaveURL(/\/account$/);
  const keys = new AccountPage(page);
  await hydrated(page);
  await expect(page.getByTestId("no-keys")).toBeVisible();

  const secret = await keys.makeKey("e2e script");
  expect(secret).toMatch(/^tc_[a-z0-9]{12}_[0-9a-f]{64}$/);
  await expect(keys.rows).toHaveCount(1);
  await expect(keys.rows.first()).toContainText("e2e script");
  await expect(keys.rows.first()).not.toContainText(secret.slice(16));

  const usage = await request.get("/api/v1/usage", { headers: { "X-API-Key": secret } });
  expect(usage.status()).toBe(200);
  expect((await usage.json()).tier).toBe("free");
  expect(usage.headers()["ratelimit-limit"]).toBeTruthy();

  // Shown once: after a reload the secret is nowhere on the page.
  await keys.open();
  await expect(keys.rows).toHaveCount(1);
  await expect(page.getByTestId("key-secret")).toHaveCount(0);
  expect(await page.content()).not.toContain(secret.slice(16));

  await keys.rows.first().getByTestId("revoke-key").click();
  await expect(keys.rows.first()).toContainText("revoked");
  const refused = await request.get("/api/v1/usage", { headers: { "X-API-Key": secret } });
  expect(refused.status()).toBe(401);
  expect((await refused.json()).error.code).toBe("unauthorized");
  expect(problems).toEqual([]);
});

test("a webhook is added with its secret shown once, sent a test event and deleted", async ({ page }) => {
  const problems = watchForErrors(page);
  const account = new Account(page, freshUsername(), "a long enough password");
  await account.register();
  await page.goto("/account");
  await hydrated(page);
  const hooks = page.getByTestId("webhooks");
  await expect(hooks).toContainText("No webhooks.");

  await page.getByTestId("webhook-url").fill("https://hooks.example.org/tickercast");
  await page.getByTestId("webhook-kinds").fill("alert, bars");
  await page.getByTestId("add-webhook").click();
  const secret = await page.getByTestId("webhook-secret").textContent();
  expect(secret).toMatch(/^whsec_[0-9a-f]{48}$/);
  const row = page.getByTestId("webhook-row");
  await expect(row).toHaveCount(1);
  await expect(row).toContainText("https://hooks.example.org/tickercast");
  await expect(row).toContainText("bars, alert");

  await row.getByTestId("test-webhook").click();
  await expect(page.getByTestId("webhook-tested")).toContainText("test-");

  // Shown once: after a reload the secret is nowhere on the page.
  await page.reload();
  await hydrated(page);
  expect(await page.content()).not.toContain(secret!);
  await page.getByTestId("webhook-row").getByTestId("delete-webhook").click();
  await expect(page.getByTestId("webhooks")).toContainText("No webhooks.");
  expect(problems).toEqual([]);
});
