import { test, expect } from "../tests/fixtures/test";
import { freshUsername, hydrated, watchForErrors } from "../tests/fixtures/app";

const api = `http://127.0.0.1:${process.env.E2E_SPA_API_PORT ?? 3119}`;

test("the static build renders the app in the browser and talks to the server on another origin", async ({ page }) => {
  const problems = watchForErrors(page);
  const requests: string[] = [];
  page.on("request", (r) => requests.push(r.url()));

  // The landing page: no server-rendered HTML, the app mounts itself.
  const html = await (await page.request.get("/stock/GOOG")).text();
  expect(html).toMatch(/<body>\s*<\/body>/);
  await page.goto("/");
  await hydrated(page);
  await expect(page.getByRole("link", { name: "Tickercast" }).first()).toBeVisible();

  // The stock page: its data comes from the server's origin, and the chart is drawn.
  await page.goto("/stock/GOOG");
  await hydrated(page);
  await expect(page.getByRole("heading", { name: /GOOG/ }).first()).toBeVisible();
  await expect(page.locator("#price-chart canvas").first()).toBeVisible();
  expect(requests.some((u) => u.startsWith(`${api}/api/`))).toBe(true);

  // The predict page, from the same server.
  await page.goto("/predict/GOOG");
  await hydrated(page);
  await expect(page.getByText(/random walk/i).first()).toBeVisible();

  // An account made from the static build: the session cookie crosses origins with the requests.
  const username = freshUsername();
  await page.goto("/register");
  await hydrated(page);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password", { exact: true }).fill("a long enough password");
  await page.getByLabel("Repeat the password").fill("a long enough password");
  await page.getByRole("button", { name: "Register" }).click();
  await expect(page.getByTestId("current-user")).toHaveText(username);
  await page.goto("/account");
  await hydrated(page);
  await expect(page.getByTestId("current-user")).toHaveText(username);

  expect(problems).toEqual([]);
});

test("the server answers only the origins it was given, with credentials", async ({ request }) => {
  const allowed = await request.fetch(`${api}/api/v1/quote/GOOG`, {
    headers: { Origin: `http://127.0.0.1:${process.env.E2E_SPA_PORT ?? 3127}` },
  });
  expect(allowed.headers()["access-control-allow-origin"]).toBe(`http://127.0.0.1:${process.env.E2E_SPA_PORT ?? 3127}`);
  expect(allowed.headers()["access-control-allow-credentials"]).toBe("true");
  const other = await request.fetch(`${api}/api/v1/quote/GOOG`, { headers: { Origin: "http://127.0.0.1:9" } });
  expect(other.headers()["access-control-allow-origin"]).toBeUndefined();
  // A state-changing request from an origin that is not listed is refused outright.
  const forged = await request.post(`${api}/api/logout`, { headers: { Origin: "http://127.0.0.1:9" } });
  expect(forged.status()).toBe(403);
});
