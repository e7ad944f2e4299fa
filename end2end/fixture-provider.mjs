// A stand-in for Yahoo Finance in browser tests: a dependency-free HTTP server (Node 18+) answering
// the two endpoints the server's Yahoo client calls, in Yahoo's own formats, for exactly two
// companies that are not bundled with the app: Apple (AAPL), and NVIDIA (NVDA) for the journeys
// that need a ticker of their own.
//
//   GET /v1/finance/search?q=…&quotesCount=10&newsCount=0
//       A company when `q` starts its name or symbol, ignoring case (`a`, `app`, `apple inc`,
//       `aapl`); otherwise Yahoo's empty answer (a 200 with no quotes). An empty `q` is Yahoo's 400.
//   GET /v8/finance/chart/AAPL?period1=…&period2=…&interval=1d&events=div,splits&…
//       Daily bars of the NYSE trading days (weekdays, its holidays left out) from 2019-01-02 to the
//       last one before today (New York time): a seeded random walk, so a day always has the same
//       prices whenever asked.
//       Quarterly dividends are `events.dividends`, and `adjclose` is adjusted for them as Yahoo does.
//       `interval=1m…90m|1h` gives regular-session bars (09:30–16:00, 13:00 on early closes) of those
//       days within Yahoo's limits (1m: the last 30 days and 8 days a request; 60m/1h: 730 days;
//       others: 60 days), and Yahoo's 422 beyond them. `includePrePost` is accepted; there are never
//       extended hours.
//   GET /v8/finance/chart/<anything else>  → Yahoo's 404 "No data found, symbol may be delisted".
//   GET /healthz                           → 200 `ok` (for a test runner's readiness check).
//   POST /__fixture/hold?symbol=NVDA&sessions=1
//       A control for tests, not Yahoo's: the company's newest `sessions` days are withheld from
//       now on (0 releases them), as if they had not happened yet. Answers JSON
//       `{symbol, served: {date, close}, held: [{date, close}, …]}`, so a test knows what the next
//       refresh will bring.
//
// Start: `node end2end/fixture-provider.mjs` (FIXTURE_PROVIDER_PORT, default 3199; set
// FIXTURE_PROVIDER_LOG=1 to log each request). Point the server at it with
// `MARKET_DATA_PROVIDERS=yahoo YAHOO_BASE_URL=http://127.0.0.1:3199`.

import http from "node:http";

const PORT = Number(process.env.FIXTURE_PROVIDER_PORT ?? 3199);
const HOST = "127.0.0.1";
const LOG = Boolean(process.env.FIXTURE_PROVIDER_LOG);
// Chart answers wait this long, as a real provider's do, so a first visit is seen fetching.
const CHART_DELAY_MS = Number(process.env.FIXTURE_PROVIDER_CHART_DELAY_MS ?? 0);

const DAY_SECONDS = 86_400;
const FIRST_DAY = "2019-01-02";
/** The companies it knows: a seeded walk each, from a first close on FIRST_DAY. */
const COMPANIES = {
  // Seed 79 is picked for an Apple-like path: about 40 in 2019, 190 in May 2024.
  AAPL: { seed: 79, first: 39.48, name: "Apple Inc.", exchange: "NMS", exchDisp: "NASDAQ",
          fullExchange: "NasdaqGS", firstTrade: 345479400, sector: "Technology",
          industry: "Consumer Electronics" },
  NVDA: { seed: 11, first: 33.8, name: "NVIDIA Corporation", exchange: "NMS", exchDisp: "NASDAQ",
          fullExchange: "NasdaqGS", firstTrade: 917015400, sector: "Technology",
          industry: "Semiconductors" },
};
/** Sessions withheld per symbol (`POST /__fixture/hold`). */
const held = new Map();

// ---------------------------------------------------------------------------------------------
// New York time, by the US rule since 2007: daylight time from 02:00 on the second Sunday of
// March to 02:00 on the first Sunday of November.

/** Days since 1970-01-01 of a `YYYY-MM-DD` date. */
function dayNumber(iso) {
  return Math.floor(Date.parse(`${iso}T00:00:00Z`) / 1000 / DAY_SECONDS);
}

/** `YYYY-MM-DD` of a day number. */
function isoDay(n) {
  return new Date(n * DAY_SECONDS * 1000).toISOString().slice(0, 10);
}

/** 0 = Sunday … 6 = Saturday. */
function weekday(n) {
  return (((n + 4) % 7) + 7) % 7;
}

/** The day number of the `nth` Sunday of `month` (1-12) in `year`. */
function nthSunday(year, month, nth) {
  const first = dayNumber(`${year}-${String(month).padStart(2, "0")}-01`);
  return first + ((7 - weekday(first)) % 7) + 7 * (nth - 1);
}

/** New York's UTC offset in seconds (-14400 or -18000) at the Unix time `t`. */
function newYorkOffset(t) {
  const year = new Date(t * 1000).getUTCFullYear();
  // 02:00 local standard time is 07:00 UTC; 02:00 local daylight time is 06:00 UTC.
  const start = nthSunday(year, 3, 2) * DAY_SECONDS + 7 * 3600;
  const end = nthSunday(year, 11, 1) * DAY_SECONDS + 6 * 3600;
  return t >= start && t < end ? -14400 : -18000;
}

/** The Unix time of `hh:mm` New York time on day number `n`. */
function newYorkTime(n, hh, mm) {
  const guess = n * DAY_SECONDS + hh * 3600 + mm * 60;
  return guess - newYorkOffset(guess + 5 * 3600);
}

/** Today's day number in New York. */
function newYorkToday(now = Date.now() / 1000) {
  return Math.floor((now + newYorkOffset(now)) / DAY_SECONDS);
}

// ---------------------------------------------------------------------------------------------
// The NYSE calendar (the rules of server/src/market/calendar/holidays.rs, from 2019 on).

/** The day number of Easter Sunday (anonymous Gregorian algorithm). */
function easterSunday(year) {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return dayNumber(`${year}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`);
}

/** The day number of the `nth` (1-based) `wd` (0 = Sunday) of `month`; `nth` -1 is the last. */
function nthWeekday(year, month, wd, nth) {
  if (nth < 0) {
    const next = month === 12 ? `${year + 1}-01-01` : `${year}-${String(month + 1).padStart(2, "0")}-01`;
    const last = dayNumber(next) - 1;
    return last - ((weekday(last) - wd + 7) % 7);
  }
  const first = dayNumber(`${year}-${String(month).padStart(2, "0")}-01`);
  return first + ((wd - weekday(first) + 7) % 7) + 7 * (nth - 1);
}

/** A fixed-date holiday moved off the weekend: Saturday to Friday, Sunday to Monday. */
function observed(year, month, day) {
  const n = dayNumber(`${year}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`);
  return weekday(n) === 6 ? n - 1 : weekday(n) === 0 ? n + 1 : n;
}

const holidayYears = new Map();

/** The full-day closures of `year`, as day numbers. */
function holidays(year) {
  if (!holidayYears.has(year)) {
    const newYear = dayNumber(`${year}-01-01`);
    const days = [
      // A Saturday New Year's Day is not observed at all.
      weekday(newYear) === 0 ? newYear + 1 : weekday(newYear) === 6 ? null : newYear,
      nthWeekday(year, 1, 1, 3),
      nthWeekday(year, 2, 1, 3),
      easterSunday(year) - 2,
      nthWeekday(year, 5, 1, -1),
      year >= 2022 ? observed(year, 6, 19) : null,
      observed(year, 7, 4),
      nthWeekday(year, 9, 1, 1),
      nthWeekday(year, 11, 4, 4),
      observed(year, 12, 25),
    ];
    if (year === 2025) days.push(dayNumber("2025-01-09")); // mourning for Jimmy Carter
    holidayYears.set(year, new Set(days.filter((d) => d !== null)));
  }
  return holidayYears.get(year);
}

function yearOf(n) {
  return new Date(n * DAY_SECONDS * 1000).getUTCFullYear();
}

/** Whether the NYSE trades on day number `n`. */
function isTradingDay(n) {
  return weekday(n) !== 0 && weekday(n) !== 6 && !holidays(yearOf(n)).has(n);
}

/** Minutes of the regular session of trading day `n`: 390, or 210 on an early close (13:00). */
function sessionMinutes(n) {
  const iso = isoDay(n);
  const thanksgiving = nthWeekday(yearOf(n), 11, 4, 4);
  const early = iso.endsWith("-07-03") || iso.endsWith("-12-24") || n === thanksgiving + 1;
  return early ? 210 : 390;
}

// ---------------------------------------------------------------------------------------------
// Deterministic randomness.

/** mulberry32: a small seeded generator of floats in [0, 1). */
function generator(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal draw (Box–Muller) from `next`. */
function normal(next) {
  const u = Math.max(next(), 1e-12);
  const v = next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** A 32-bit hash of a string (FNV-1a). */
function hash(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const cents = (x) => Math.round(x * 100) / 100;
const round6 = (x) => Math.round(x * 1e6) / 1e6;

// ---------------------------------------------------------------------------------------------
// Apple's daily bars.

/** The quarterly dividend per share (split-adjusted) set each May, as Apple's were. */
const MAY_DIVIDEND = { 2018: 0.1825, 2019: 0.1925, 2020: 0.205, 2021: 0.22, 2022: 0.23, 2023: 0.24, 2024: 0.25 };

/** The dividend going ex in `month` (1-12) of `year`: the one set the May before. */
function dividendAmount(year, month) {
  const set = month >= 5 ? year : year - 1;
  return MAY_DIVIDEND[set] ?? round6(0.25 + 0.01 * (set - 2024));
}

/** Whether day number `n` is an ex-dividend day: the second Friday of Feb, May, Aug and Nov. */
function isExDividend(n) {
  const d = new Date(n * DAY_SECONDS * 1000);
  const month = d.getUTCMonth() + 1;
  return (
    [2, 5, 8, 11].includes(month) && weekday(n) === 5 && d.getUTCDate() > 7 && d.getUTCDate() <= 14
  );
}

const caches = new Map();

/**
 * Every bar of `symbol` from FIRST_DAY to the last trading day before today, less the sessions
 * withheld, oldest first: `{ day, open, high, low, close, volume, dividend, adjclose }`. The walk
 * draws the same numbers for a day however late the series ends, so a day's prices never change.
 */
function dailyBars(symbol, now = Date.now() / 1000) {
  const all = allDailyBars(symbol, now);
  return all.slice(0, Math.max(1, all.length - (held.get(symbol) ?? 0)));
}

function allDailyBars(symbol, now) {
  let last = newYorkToday(now) - 1;
  while (!isTradingDay(last)) last--;
  const cache = caches.get(symbol);
  if (cache?.last === last) return cache.bars;

  const company = COMPANIES[symbol];
  const next = generator(company.seed);
  const bars = [];
  let close = company.first;
  for (let n = dayNumber(FIRST_DAY); n <= last; n++) {
    if (!isTradingDay(n)) continue;
    // About 25% a year of drift and 30% of volatility.
    const gap = 0.006 * normal(next);
    const move = 0.0009 + 0.0185 * normal(next);
    const wickUp = Math.abs(normal(next)) * 0.006;
    const wickDown = Math.abs(normal(next)) * 0.006;
    const volumeNoise = normal(next);
    const open = cents(close * Math.exp(gap));
    const newClose = cents(open * Math.exp(move));
    const high = cents(Math.max(open, newClose) * (1 + wickUp));
    const low = cents(Math.min(open, newClose) * (1 - wickDown));
    const volume = Math.round(
      (110e6 - 45e6 * Math.min(1, (n - dayNumber(FIRST_DAY)) / 1500)) * Math.exp(0.3 * volumeNoise),
    );
    const d = new Date(n * DAY_SECONDS * 1000);
    const dividend = isExDividend(n) ? dividendAmount(d.getUTCFullYear(), d.getUTCMonth() + 1) : null;
    bars.push({ day: n, open, high, low, close: newClose, volume, dividend, adjclose: newClose });
    close = newClose;
  }
  // Yahoo's adjustment: every close before an ex-day is scaled by 1 − dividend / the close before it.
  let factor = 1;
  for (let i = bars.length - 1; i >= 0; i--) {
    bars[i].adjclose = round6(bars[i].close * factor);
    if (bars[i].dividend && i > 0) factor *= 1 - bars[i].dividend / bars[i - 1].close;
  }
  caches.set(symbol, { last, bars });
  return bars;
}

// ---------------------------------------------------------------------------------------------
// Yahoo's answers.

const NOT_FOUND = {
  chart: { result: null, error: { code: "Not Found", description: "No data found, symbol may be delisted" } },
};

const INTERVALS = {
  "1m": 1,
  "2m": 2,
  "5m": 5,
  "15m": 15,
  "30m": 30,
  "60m": 60,
  "90m": 90,
  "1h": 60,
  "1d": null,
};

function chartError(status, code, description) {
  return [status, { chart: { result: null, error: { code, description } } }];
}

function meta(symbol, bars, granularity, now) {
  const company = COMPANIES[symbol];
  const lastBar = bars[bars.length - 1];
  const todayNumber = newYorkToday(now);
  const offset = newYorkOffset(now);
  const yearAgo = lastBar.day - 365;
  const lastYear = bars.filter((b) => b.day > yearAgo);
  const period = (start, end) => ({
    timezone: offset === -14400 ? "EDT" : "EST",
    start,
    end,
    gmtoffset: offset,
  });
  return {
    currency: "USD",
    symbol,
    exchangeName: company.exchange,
    fullExchangeName: company.fullExchange,
    instrumentType: "EQUITY",
    firstTradeDate: company.firstTrade,
    regularMarketTime: newYorkTime(lastBar.day, 16, 0),
    hasPrePostMarketData: true,
    gmtoffset: offset,
    timezone: offset === -14400 ? "EDT" : "EST",
    exchangeTimezoneName: "America/New_York",
    regularMarketPrice: lastBar.close,
    fiftyTwoWeekHigh: Math.max(...lastYear.map((b) => b.high)),
    fiftyTwoWeekLow: Math.min(...lastYear.map((b) => b.low)),
    regularMarketDayHigh: lastBar.high,
    regularMarketDayLow: lastBar.low,
    regularMarketVolume: lastBar.volume,
    longName: company.name,
    shortName: company.name,
    priceHint: 2,
    currentTradingPeriod: {
      pre: period(newYorkTime(todayNumber, 4, 0), newYorkTime(todayNumber, 9, 30)),
      regular: period(newYorkTime(todayNumber, 9, 30), newYorkTime(todayNumber, 16, 0)),
      post: period(newYorkTime(todayNumber, 16, 0), newYorkTime(todayNumber, 20, 0)),
    },
    dataGranularity: granularity,
    range: "",
    validRanges: ["1d", "5d", "1mo", "3mo", "6mo", "1y", "2y", "5y", "10y", "ytd", "max"],
  };
}

function dailyChart(symbol, period1, period2, now) {
  const all = dailyBars(symbol, now);
  const inRange = [];
  let before = null;
  for (const bar of all) {
    const t = newYorkTime(bar.day, 9, 30);
    if (t < period1) before = bar;
    else if (t <= period2) inRange.push(bar);
  }
  const m = meta(symbol, all, "1d", now);
  m.chartPreviousClose = before ? before.close : all[0].open;
  if (inRange.length === 0) {
    // Yahoo drops `timestamp` and leaves the columns empty.
    return { meta: m, indicators: { quote: [{}], adjclose: [{}] } };
  }
  const result = {
    meta: m,
    timestamp: inRange.map((b) => newYorkTime(b.day, 9, 30)),
  };
  const dividends = {};
  for (const b of inRange) {
    if (b.dividend) {
      const t = newYorkTime(b.day, 9, 30);
      dividends[String(t)] = { amount: b.dividend, date: t };
    }
  }
  if (Object.keys(dividends).length > 0) result.events = { dividends };
  result.indicators = {
    quote: [
      {
        open: inRange.map((b) => b.open),
        high: inRange.map((b) => b.high),
        low: inRange.map((b) => b.low),
        close: inRange.map((b) => b.close),
        volume: inRange.map((b) => b.volume),
      },
    ],
    adjclose: [{ adjclose: inRange.map((b) => b.adjclose) }],
  };
  return result;
}

/** The regular-session bars of one day, `minutes` wide, walking from its open to its close. */
function sessionBars(bar, minutes, name) {
  const open = newYorkTime(bar.day, 9, 30);
  const n = Math.ceil(sessionMinutes(bar.day) / minutes);
  const next = generator(hash(`${isoDay(bar.day)}/${name}`));
  const walk = [0];
  for (let k = 1; k <= n; k++) walk.push(walk[k - 1] + normal(next));
  const scale = bar.open * 0.0025 * Math.sqrt(minutes / 5);
  const path = walk.map((w, k) => {
    const bridge = w - (k / n) * walk[n];
    const p = bar.open + (bar.close - bar.open) * (k / n) + bridge * scale;
    return cents(Math.min(bar.high, Math.max(bar.low, p)));
  });
  const rows = [];
  let weights = 0;
  for (let k = 0; k < n; k++) {
    const x = (k + 0.5) / n - 0.5;
    const w = (1 + 6 * x * x) * Math.exp(0.25 * normal(next));
    weights += w;
    const o = path[k];
    const c = path[k + 1];
    rows.push({
      t: open + k * minutes * 60,
      open: o,
      close: c,
      high: cents(Math.min(bar.high, Math.max(o, c) * (1 + Math.abs(normal(next)) * 0.0008))),
      low: cents(Math.max(bar.low, Math.min(o, c) * (1 - Math.abs(normal(next)) * 0.0008))),
      weight: w,
    });
  }
  for (const r of rows) r.volume = Math.round((bar.volume * r.weight) / weights);
  return rows;
}

function intradayChart(symbol, name, minutes, period1, period2, now) {
  const days = Math.floor(now / DAY_SECONDS);
  const window = name === "1m" ? 30 : minutes === 60 ? 730 : 60;
  if (name === "1m" && period2 - period1 > 8 * DAY_SECONDS) {
    return chartError(
      422,
      "Unprocessable Entity",
      `1m data not available for startTime=${period1} and endTime=${period2}. Only 8 days worth of 1m granularity data are allowed to be fetched per request.`,
    );
  }
  if (period1 < (days - window) * DAY_SECONDS) {
    return chartError(
      422,
      "Unprocessable Entity",
      `${name} data not available for startTime=${period1} and endTime=${period2}. The requested range must be within the last ${window} days.`,
    );
  }
  const all = dailyBars(symbol, now);
  const rows = [];
  for (const bar of all) {
    const dayOpen = newYorkTime(bar.day, 9, 30);
    if (dayOpen + sessionMinutes(bar.day) * 60 <= period1 || dayOpen > period2) continue;
    for (const r of sessionBars(bar, minutes, name)) {
      if (r.t >= period1 && r.t <= period2) rows.push(r);
    }
  }
  const m = meta(symbol, all, name, now);
  m.chartPreviousClose = all[all.length - 2]?.close ?? all[0].open;
  if (rows.length === 0) return [200, { chart: { result: [{ meta: m, indicators: { quote: [{}] } }], error: null } }];
  const result = {
    meta: m,
    timestamp: rows.map((r) => r.t),
    indicators: {
      quote: [
        {
          open: rows.map((r) => r.open),
          high: rows.map((r) => r.high),
          low: rows.map((r) => r.low),
          close: rows.map((r) => r.close),
          volume: rows.map((r) => r.volume),
        },
      ],
    },
  };
  return [200, { chart: { result: [result], error: null } }];
}

function chart(asked, params, now) {
  const symbol = asked.toUpperCase();
  if (!(symbol in COMPANIES)) return [404, NOT_FOUND];
  const name = params.get("interval") ?? "1d";
  if (!(name in INTERVALS)) {
    return chartError(
      400,
      "Bad Request",
      `Invalid input - interval=${name} is not supported. Valid intervals: [1m, 2m, 5m, 15m, 30m, 60m, 90m, 1h, 1d, 5d, 1wk, 1mo, 3mo]`,
    );
  }
  const number = (key, fallback) => {
    const v = params.get(key);
    return v !== null && /^-?\d+$/.test(v) ? Number(v) : fallback;
  };
  const period1 = number("period1", 0);
  const period2 = number("period2", Math.floor(now));
  if (period1 > period2) {
    return chartError(400, "Bad Request", `Invalid input - start date cannot be after end date. startDate = ${period1}, endDate = ${period2}`);
  }
  if (name === "1d") return [200, { chart: { result: [dailyChart(symbol, period1, period2, now)], error: null } }];
  return intradayChart(symbol, name, INTERVALS[name], period1, period2, now);
}

/** A company as Yahoo's search lists it. */
function quoteOf(symbol) {
  const c = COMPANIES[symbol];
  return {
    exchange: c.exchange,
    shortname: c.name,
    quoteType: "EQUITY",
    symbol,
    index: "quotes",
    score: 2.6e7,
    typeDisp: "Equity",
    longname: c.name,
    exchDisp: c.exchDisp,
    sector: c.sector,
    sectorDisp: c.sector,
    industry: c.industry,
    industryDisp: c.industry,
    isYahooFinance: true,
  };
}

/** Whether `q` starts `symbol` or its company's name, ignoring case and repeated spaces. */
function finds(symbol, q) {
  const text = q.trim().toLowerCase().replace(/\s+/g, " ");
  const name = COMPANIES[symbol].name.toLowerCase();
  return text !== "" && (symbol.toLowerCase().startsWith(text) || name.startsWith(text));
}

function search(params) {
  const q = params.get("q") ?? "";
  if (q.trim() === "") {
    return [400, { finance: { result: null, error: { code: "Bad Request", description: "Invalid Search Query" } } }];
  }
  const limit = Math.max(0, Number(params.get("quotesCount") ?? 7) || 0);
  const quotes = Object.keys(COMPANIES)
    .filter((symbol) => finds(symbol, q))
    .map(quoteOf)
    .slice(0, limit);
  return [
    200,
    {
      explains: [],
      count: quotes.length,
      quotes,
      news: [],
      nav: [],
      lists: [],
      researchReports: [],
      screenerFieldResults: [],
      totalTime: 12,
      timeTakenForQuotes: 411,
      timeTakenForNews: 0,
      timeTakenForAlgowatchlist: 400,
      timeTakenForPredefinedScreener: 400,
      timeTakenForCrunchbase: 0,
      timeTakenForNav: 400,
      timeTakenForResearchReports: 0,
      timeTakenForScreenerField: 0,
      timeTakenForCulturalAssets: 0,
    },
  ];
}

// ---------------------------------------------------------------------------------------------

/** `POST /__fixture/hold?symbol=&sessions=`: withholds a company's newest sessions. */
function hold(params, now) {
  const symbol = (params.get("symbol") ?? "").toUpperCase();
  const sessions = Number(params.get("sessions") ?? "1");
  if (!(symbol in COMPANIES) || !Number.isInteger(sessions) || sessions < 0 || sessions > 20) {
    return [400, { error: "symbol must be a known company and sessions a whole number 0-20" }];
  }
  held.set(symbol, sessions);
  const all = allDailyBars(symbol, now);
  const served = dailyBars(symbol, now);
  const last = served[served.length - 1];
  const dated = (b) => ({ date: isoDay(b.day), close: b.close });
  return [200, { symbol, served: dated(last), held: all.slice(served.length).map(dated) }];
}

function route(method, url, now) {
  if (method === "POST" && url.pathname === "/__fixture/hold") return hold(url.searchParams, now);
  if (method !== "GET" && method !== "HEAD") {
    return [405, { finance: { result: null, error: { code: "Method Not Allowed", description: "HTTP 405 Method Not Allowed" } } }];
  }
  if (url.pathname === "/healthz") return [200, "ok"];
  if (url.pathname === "/v1/finance/search") return search(url.searchParams);
  const chartPath = url.pathname.match(/^\/v8\/finance\/chart\/([^/]+)$/);
  if (chartPath) {
    let symbol;
    try {
      symbol = decodeURIComponent(chartPath[1]);
    } catch {
      return [404, NOT_FOUND];
    }
    return chart(symbol, url.searchParams, now);
  }
  return [404, { finance: { result: null, error: { code: "Not Found", description: "HTTP 404 Not Found" } } }];
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? "/", `http://${HOST}`);
  let status;
  let body;
  try {
    [status, body] = route(req.method ?? "GET", url, Date.now() / 1000);
  } catch (err) {
    console.error("fixture provider:", err);
    [status, body] = [500, { finance: { result: null, error: { code: "Internal Server Error", description: String(err) } } }];
  }
  const text = typeof body === "string" ? body : JSON.stringify(body);
  const delay = url.pathname.startsWith("/v8/finance/chart/") ? CHART_DELAY_MS : 0;
  setTimeout(() => answer(req, res, url, status, body, text), delay);
});

function answer(req, res, url, status, body, text) {
  res.writeHead(status, {
    "content-type": typeof body === "string" ? "text/plain; charset=utf-8" : "application/json;charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
  });
  res.end(req.method === "HEAD" ? undefined : text);
  if (LOG) console.log(`${req.method} ${url.pathname}${url.search} -> ${status}`);
}

server.listen(PORT, HOST, () => {
  console.log(`fixture provider (Yahoo formats, AAPL and NVDA) listening on http://${HOST}:${PORT}`);
});

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
