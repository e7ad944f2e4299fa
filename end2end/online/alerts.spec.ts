import { test, expect } from "../tests/fixtures/test";
import { hydrated, registerAdministrator, untilRoleShows, watchForErrors } from "../tests/fixtures/app";

const provider = `http://127.0.0.1:${process.env.FIXTURE_PROVIDER_PORT ?? 3199}`;

test("set a price alert on the stock page; a refresh crosses it; the notification appears without a reload", async ({
  page,
  baseURL,
}) => {
  test.setTimeout(150_000);
  const problems = watchForErrors(page);
  // NVIDIA's newest session has not "happened" yet at the fixture provider.
  const hold = await (await fetch(`${provider}/__fixture/hold?symbol=NVDA&sessions=1`, { method: "POST" })).json();
  const before: number = hold.served.close;
  const next: number = hold.held[0].close;
  expect(next).not.toBe(before);

  // An account, made an administrator (to trigger the refresh the after-close schedule would run).
  const { granted } = await registerAdministrator(page, baseURL!);

  // The first visit fetches NVIDIA's history; the page turns into its chart when it is stored.
  await page.goto("/stock/NVDA");
  await expect(page.getByTestId("alert-form")).toBeVisible({ timeout: 60_000 });
  await hydrated(page);
  await expect(page.getByTestId("last-close")).toHaveText(before.toFixed(2));
  await expect(page.getByTestId("unread-count")).toHaveCount(0);

  // An alert between the last close and the next one, in the direction the price will go.
  const level = ((before + next) / 2).toFixed(2);
  await page.getByTestId("alert-rule").selectOption(next > before ? "price_above" : "price_below");
  await page.getByTestId("alert-level").fill(level);
  await page.getByTestId("set-alert").click();
  await expect(page.getByTestId("alert-set")).toContainText(`NVDA closes at or ${next > before ? "above" : "below"} ${level}`);

  // The session happens; an administrator has the bars fetched.
  await fetch(`${provider}/__fixture/hold?symbol=NVDA&sessions=0`, { method: "POST" });
  await untilRoleShows(page, granted);
  const refresh = await page.request.post("/api/v1/admin/refresh/NVDA", { headers: { Origin: baseURL! } });
  expect(refresh.status(), await refresh.text()).toBe(202);

  // Without a reload: the count in the header, the notification itself, and the new quote.
  await expect(page.getByTestId("unread-count")).toHaveText("1", { timeout: 30_000 });
  await expect(page.getByTestId("toast")).toContainText(`NVDA closed at ${next.toFixed(2)}`);
  await expect(page.getByTestId("last-close")).toHaveText(next.toFixed(2));

  // The alerts page lists it with the rule it came from, which has stopped (it fires once).
  await page.getByTestId("alerts-link").click();
  await expect(page).toHaveURL(/\/alerts$/);
  await hydrated(page);
  await expect(page.getByTestId("notification")).toHaveCount(1);
  await expect(page.getByTestId("notification").first()).toHaveAttribute("data-read", "false");
  await expect(page.getByTestId("rule")).toContainText(/fired/);
  await page.getByTestId("mark-read").click();
  await expect(page.getByTestId("notification").first()).toHaveAttribute("data-read", "true");
  await expect(page.getByTestId("unread-count")).toHaveCount(0);
  expect(problems).toEqual([]);
});
