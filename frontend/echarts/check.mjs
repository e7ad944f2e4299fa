// Draws the app's charts with an ECharts bundle in a blank page (no app server) and checks that
// the bundle has everything they use:
//   - no console message at all (ECharts' development builds report "Component X / Series X is
//     used but not imported"), and no page error;
//   - every chart's canvas is drawn (non-blank pixels), and ECharts holds the components of its
//     option (legend, tooltip, axisPointer, both dataZooms, the RSI pane's markLine);
//   - the price chart's keyboard path: dispatchAction({type: 'showTip'}) moves the crosshair and
//     on('updateAxisPointer') reports the bar index, as does a pointer move; redrawing disposes the
//     old chart (getInstanceByDom, dispose, init) as components/echarts.rs does;
//   - the charming charts show their axis tooltip on hover;
//   - with several bundles, each chart is drawn to the same pixels by all of them.
// The options are shaped like the app's: chart.rs `option()` (the price chart), fan_chart.rs
// (charming, serialised to JSON), equity_chart.rs and track_record.rs (charming's WasmRenderer:
// `init(el, "", {width, height})`, absent values `undefined`).
//
//   node check.mjs                  the served bundle (public/echarts.min.js), a development build
//                                   of entry.js (warns of anything missing), the full 5.6.0 builds
//                                   from npm (minified = the file served before; development), and
//                                   a control: the development build must report a chart it lacks
//   node check.mjs BUNDLE...        the given bundles, compared with each other
//
// Playwright comes from end2end/node_modules; the browser is the system's Chromium.

import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const { chromium } = require(join(here, '../../end2end/node_modules/@playwright/test'));
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

// ---- Options shaped like the app's ------------------------------------------------------------

const UP = '#15803d';
const DOWN = '#b91c1c';
const TOP = 36, PRICE_H = 280, PANE_H = 84, GAP = 30, SLIDER = 56;
const height = (panes) => TOP + PRICE_H + panes * (GAP + PANE_H) + SLIDER;
const round = (v) => Math.round(v * 10000) / 10000;

/** `n` daily bars, the same every run. */
function bars(n, start = 100, phase = 0) {
  const out = [];
  let close = start;
  const day = new Date(Date.UTC(2024, 0, 2));
  for (let i = 0; i < n; i++) {
    const open = close;
    close = round(open * (1 + 0.02 * Math.sin(i * 0.7 + phase) + 0.004 * Math.cos(i * 0.13)));
    const high = round(Math.max(open, close) * 1.01);
    const low = round(Math.min(open, close) * 0.99);
    out.push({ date: day.toISOString().slice(0, 10), open, high, low, close, volume: 1e6 + ((i * 7919) % 500000) });
    day.setUTCDate(day.getUTCDate() + (day.getUTCDay() === 5 ? 3 : 1));
  }
  return out;
}

const sma = (xs, k) => xs.map((_, i) => (i + 1 < k ? null : xs.slice(i + 1 - k, i + 1).reduce((a, b) => a + b, 0) / k));
function ema(xs, k) {
  const a = 2 / (k + 1);
  let e = null;
  return xs.map((x, i) => {
    e = e === null ? x : a * x + (1 - a) * e;
    return i + 1 < k ? null : e;
  });
}

/** The indicator lines of `points`, as the server sends them (nulls before they start). */
function indicators(points) {
  const c = points.map((p) => p.close);
  const mid = sma(c, 20);
  const sd = c.map((_, i) => (mid[i] === null ? null : Math.sqrt(c.slice(i - 19, i + 1).reduce((s, x) => s + (x - mid[i]) ** 2, 0) / 20)));
  const rsi = c.map((_, i) => (i < 14 ? null : 50 + 40 * Math.sin(i / 9)));
  const e12 = ema(c, 12), e26 = ema(c, 26);
  const macd = c.map((_, i) => (e26[i] === null ? null : e12[i] - e26[i]));
  const signal = macd.map((m, i) => (m === null || i < 34 ? null : macd.slice(i - 8, i + 1).reduce((a, b) => a + b, 0) / 9));
  return {
    'SMA 20': mid, 'SMA 50': sma(c, 50), 'EMA 12': e12, 'EMA 26': e26,
    'BB upper': mid.map((m, i) => (m === null ? null : m + 2 * sd[i])), 'BB middle': mid,
    'BB lower': mid.map((m, i) => (m === null ? null : m - 2 * sd[i])),
    rsi, macd, signal, hist: macd.map((m, i) => (signal[i] === null ? null : m - signal[i])),
  };
}

const colour = (name) => ({ 'SMA 20': '#2563eb', 'SMA 50': '#d97706', 'EMA 12': '#0891b2', 'EMA 26': '#db2777', MACD: '#2563eb', 'MACD signal': '#d97706', 'RSI 14': '#7c3aed' })[name] ?? '#64748b';

/** chart.rs `option()`: `overlays` names of lines over the prices, `panes` of rsi/macd/volume. */
function priceOption({ points, overlays = [], panes = ['volume'], log = false, compare = null }) {
  const ind = indicators(points);
  const dates = points.map((p) => p.date);
  const base = points[0].close;
  const scale = (v) => (compare ? round((v / base - 1) * 100) : round(v));
  const scaled = (xs) => xs.map((x) => (x === null ? null : scale(x)));
  const plain = (xs) => xs.map((x) => (x === null ? null : round(x)));
  const category = (grid, labels) => ({ type: 'category', gridIndex: grid, data: dates, axisLabel: { show: labels }, axisTick: { show: labels } });
  const paneAxis = (grid, name, bounds) => ({
    type: 'value', gridIndex: grid, scale: true, splitNumber: 2, name, nameLocation: 'end', nameGap: 4,
    nameTextStyle: { align: 'left', color: '#64748b' }, axisLabel: { fontSize: 10 },
    ...(bounds ? { min: bounds[0], max: bounds[1] } : {}),
  });
  const grids = [{ left: 64, right: 24, top: TOP, height: PRICE_H }];
  const xAxes = [category(0, true)];
  const yAxes = [compare ? { type: 'value', scale: true, axisLabel: { formatter: '{value}%' } } : log ? { type: 'log', scale: true, logBase: 10 } : { type: 'value', scale: true }];
  const series = [{
    type: 'candlestick', name: 'GOOG', data: points.map((p) => [scale(p.open), scale(p.close), scale(p.low), scale(p.high)]),
    itemStyle: { color: UP, color0: DOWN, borderColor: UP, borderColor0: DOWN },
  }];
  const legend = [];
  for (const name of overlays) {
    const dashed = name.startsWith('BB') && name !== 'BB middle';
    series.push({
      type: 'line', name, data: scaled(ind[name]), showSymbol: false, connectNulls: false,
      lineStyle: { width: 1.2, type: dashed ? 'dashed' : 'solid' }, itemStyle: { color: colour(name) },
    });
    legend.push(name);
  }
  if (compare) {
    let j = 0, b = null;
    const values = dates.map((d) => {
      while (j < compare.length && compare[j].date <= d) j++;
      if (j === 0) return null;
      const close = compare[j - 1].close;
      b ??= close;
      return round((close / b - 1) * 100);
    });
    series.push({ type: 'line', name: '^GSPC', data: values, showSymbol: false, lineStyle: { width: 1.6 }, itemStyle: { color: '#ea580c' } });
    legend.push('GOOG', '^GSPC');
  }
  panes.forEach((pane, k) => {
    const g = k + 1;
    grids.push({ left: 64, right: 24, top: TOP + PRICE_H + GAP + k * (GAP + PANE_H), height: PANE_H });
    xAxes.push(category(g, false));
    if (pane === 'volume') {
      yAxes.push(paneAxis(g, 'Volume'));
      series.push({
        type: 'bar', name: 'Volume', xAxisIndex: g, yAxisIndex: g,
        data: points.map((p) => ({ value: p.volume, itemStyle: { color: p.close >= p.open ? UP : DOWN, opacity: 0.6 } })),
      });
    } else if (pane === 'rsi') {
      yAxes.push(paneAxis(g, 'RSI 14', [0, 100]));
      series.push({
        type: 'line', name: 'RSI 14', xAxisIndex: g, yAxisIndex: g, data: plain(ind.rsi), showSymbol: false,
        lineStyle: { width: 1.2 }, itemStyle: { color: colour('RSI 14') },
        markLine: {
          silent: true, symbol: 'none', lineStyle: { type: 'dashed', color: '#94a3b8' },
          label: { show: true, position: 'insideEndTop' }, data: [{ yAxis: 30 }, { yAxis: 70 }],
        },
      });
    } else if (pane === 'macd') {
      yAxes.push(paneAxis(g, 'MACD 12/26/9'));
      series.push({
        type: 'bar', name: 'MACD histogram', xAxisIndex: g, yAxisIndex: g,
        data: ind.hist.map((h) => (h === null ? null : { value: round(h), itemStyle: { color: h >= 0 ? UP : DOWN, opacity: 0.6 } })),
      });
      for (const [name, values] of [['MACD', ind.macd], ['MACD signal', ind.signal]]) {
        series.push({
          type: 'line', name, xAxisIndex: g, yAxisIndex: g, data: plain(values), showSymbol: false,
          lineStyle: { width: 1.2 }, itemStyle: { color: colour(name) },
        });
      }
    }
  });
  const all = xAxes.map((_, i) => i);
  return {
    animation: false,
    legend: { show: legend.length > 0, data: legend, top: 4, left: 64 },
    grid: grids, xAxis: xAxes, yAxis: yAxes,
    tooltip: { trigger: 'axis', showContent: false, axisPointer: { type: 'cross' } },
    axisPointer: { link: [{ xAxisIndex: 'all' }] },
    dataZoom: [
      { type: 'inside', xAxisIndex: all },
      { type: 'slider', xAxisIndex: all, bottom: 8, height: 24 },
    ],
    series,
  };
}

/** fan_chart.rs `draw` as charming serialises it (serde_json: absent values are null). */
function fanOption() {
  const recent = bars(30, 170).map((p) => ({ date: p.date, close: p.close }));
  const n = recent.length, horizons = 5;
  const last = recent[n - 1].close;
  const labels = [...recent.map((c) => c.date), '2024-02-13', '2024-02-14', '2024-02-15', '2024-02-16', '2024-02-20'];
  const history = [...recent.map((c) => c.close), ...Array(horizons).fill(null)];
  const path = (values) => [...Array(n - 1).fill(null), last, ...values];
  const models = [
    { label: 'Naive random walk', colour: '#64748b', drift: 0, width: 2.5, past: true },
    { label: 'Drift', colour: '#d97706', drift: 0.6, width: 2 },
    { label: 'ARIMA', colour: '#7c3aed', drift: -0.4, width: 1.6 },
  ];
  const legend = ['Close', ...models.map((m) => m.label), 'Past 1-day forecasts'];
  const series = [{ type: 'line', name: 'Close', data: history, showSymbol: false, itemStyle: { color: '#0f172a' } }];
  for (const m of models) {
    const point = [1, 2, 3, 4, 5].map((h) => round(last + m.drift * h));
    const lo = point.map((p, h) => round(p - m.width * Math.sqrt(h + 1)));
    const hi = point.map((p, h) => round(p + m.width * Math.sqrt(h + 1)));
    const width = path(hi.map((h, i) => round(h - lo[i])));
    width[n - 1] = 0;
    const edge = { type: 'dashed', color: m.colour, width: 1 };
    series.push(
      { type: 'line', name: m.label, stack: `band ${m.label}`, data: path(lo), showSymbol: false, lineStyle: { opacity: 0 }, tooltip: { show: false } },
      { type: 'line', name: m.label, stack: `band ${m.label}`, data: width, showSymbol: false, lineStyle: { opacity: 0 }, areaStyle: { color: m.colour, opacity: 0.12 }, tooltip: { show: false } },
      { type: 'line', name: m.label, data: path(point), itemStyle: { color: m.colour }, lineStyle: { color: m.colour, width: 2 } },
      { type: 'line', name: m.label, data: path(lo), showSymbol: false, itemStyle: { color: m.colour }, lineStyle: edge },
      { type: 'line', name: m.label, data: path(hi), showSymbol: false, itemStyle: { color: m.colour }, lineStyle: edge },
    );
    if (m.past) {
      const past = recent.map((c, i) => (i > n - 8 ? round(c.close * 1.003) : null));
      series.push({ type: 'line', name: 'Past 1-day forecasts', data: [...past, ...Array(horizons).fill(null)], symbolSize: 6, itemStyle: { color: m.colour }, lineStyle: { opacity: 0 } });
    }
  }
  return {
    tooltip: { trigger: 'axis' },
    legend: { data: legend, top: '0' },
    grid: [{ left: '64', right: '24', top: '40', bottom: '32' }],
    xAxis: { type: 'category', data: labels },
    yAxis: { type: 'value', scale: true },
    series,
  };
}

/** equity_chart.rs `draw` (through charming's WasmRenderer). */
function equityOption() {
  const dates = bars(120).map((p) => p.date);
  const curve = (k) => dates.map((_, i) => round(1 + 0.002 * i * k + 0.05 * Math.sin(i / (7 + k))));
  return {
    tooltip: { trigger: 'axis' },
    legend: { top: '0' },
    grid: [{ left: '56', right: '16', top: '36', bottom: '28' }],
    xAxis: { type: 'category', data: dates },
    yAxis: { type: 'value', scale: true },
    series: ['Buy and hold', 'Drift signal', 'ARIMA signal'].map((name, k) => ({ type: 'line', name, showSymbol: false, data: curve(k) })),
  };
}

/** track_record.rs `draw` (WasmRenderer; serde_wasm_bindgen makes absent values `undefined`, sent
 *  here as null and turned into undefined in the page). Many models: the scroll legend pages. */
function trackOption() {
  const points = bars(40, 150);
  const names = ['Naive random walk', 'Drift', 'Seasonal naive', 'Exponential smoothing', 'ARIMA', 'Theta', 'Gradient boosting', 'Linear regression', 'Random forest', 'Ensemble'];
  return {
    tooltip: { trigger: 'axis' },
    legend: { type: 'scroll', top: '0' },
    grid: [{ left: '64', right: '24', top: '40', bottom: '32' }],
    xAxis: { type: 'category', data: points.map((p) => p.date) },
    yAxis: { type: 'value', scale: true },
    series: [
      { type: 'line', name: 'Actual close', data: points.map((p, i) => (i > 35 ? null : p.close)), lineStyle: { width: 3 } },
      ...names.map((name, k) => ({
        type: 'line', name, connectNulls: true, lineStyle: { width: 1 },
        data: points.map((p, i) => ((i + k) % 4 === 0 ? null : round(p.close * (1 + 0.004 * (k - 4))))),
      })),
    ],
  };
}

const prices = bars(160);
const CHARTS = [
  // [container id, width, height, how the app draws it, option]
  ['price-default', 900, height(1), 'replace', priceOption({ points: prices })],
  ['price-all', 900, height(3), 'replace', priceOption({ points: prices, overlays: ['SMA 20', 'SMA 50', 'EMA 12', 'EMA 26', 'BB upper', 'BB middle', 'BB lower'], panes: ['rsi', 'macd', 'volume'], log: true })],
  ['price-compare', 900, height(2), 'replace', priceOption({ points: prices, panes: ['rsi', 'volume'], compare: bars(150, 4000, 1.3).slice(10) })],
  ['forecast-chart', 900, 380, 'replace', fanOption()],
  ['equity', 600, 260, 'wasm', equityOption()],
  ['track-chart', 500, 380, 'wasm', trackOption()],
];
const PRICE = CHARTS.filter(([id]) => id.startsWith('price-')).map(([id]) => id);

// ---- In the page -------------------------------------------------------------------------------

/** Draws every chart as the app does; returns what ECharts holds and the drawn canvases. */
async function drawAll(charts) {
  const echarts = window.echarts;
  const facts = { global: 'echarts' in window, init: typeof echarts?.init, getInstanceByDom: typeof echarts?.getInstanceByDom, version: echarts?.version, charts: {} };
  const finished = (chart) => new Promise((resolve) => {
    let done = false;
    chart.on('finished', () => { if (!done) { done = true; resolve(true); } });
    setTimeout(() => { if (!done) { done = true; resolve(false); } }, 10000);
  });
  const undefinedForNull = (v) => (v === null ? undefined : Array.isArray(v) ? v.map(undefinedForNull) : typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, undefinedForNull(x)])) : v);
  for (const [id, , , how, option] of charts) {
    const el = document.getElementById(id);
    let chart, settled;
    try {
    if (how === 'replace') {
      // components/echarts.rs `replace`: dispose a chart already there, init, setOption(JSON.parse(text)).
      const old = echarts.getInstanceByDom(el);
      if (old) old.dispose();
      chart = echarts.init(el);
      settled = finished(chart);
      chart.setOption(JSON.parse(JSON.stringify(option)));
    } else {
      // charming's WasmRenderer: init(el, theme "", {width, height} absent), setOption(object).
      chart = echarts.init(el, '', { width: undefined, height: undefined });
      settled = finished(chart);
      chart.setOption(undefinedForNull(option));
    }
    const o = chart.getOption();
    const model = chart.getModel?.();
    facts.charts[id] = {
      finished: await settled,
      series: (o.series ?? []).map((s) => s.type),
      legend: (o.legend ?? []).map((l) => l.type ?? 'plain'),
      tooltip: (o.tooltip ?? []).length,
      axisPointer: (o.axisPointer ?? []).length,
      dataZoom: (o.dataZoom ?? []).map((d) => d.type),
      grids: (o.grid ?? []).length,
      yAxis0: o.yAxis?.[0]?.type,
      markLines: model ? model.queryComponents({ mainType: 'markLine' }).length : null,
      sameInstance: echarts.getInstanceByDom(el) === chart,
    };
    // The drawn layers, composed into one image.
    const canvases = [...el.querySelectorAll('canvas')];
    const out = document.createElement('canvas');
    out.width = canvases[0]?.width ?? 0;
    out.height = canvases[0]?.height ?? 0;
    const ctx = out.getContext('2d', { willReadFrequently: true });
    for (const c of canvases) ctx.drawImage(c, 0, 0);
    const px = out.width ? ctx.getImageData(0, 0, out.width, out.height).data : [];
    let drawn = 0;
    for (let i = 3; i < px.length; i += 4) if (px[i] !== 0) drawn++;
    facts.charts[id].canvases = canvases.length;
    facts.charts[id].drawnPixels = drawn;
    facts.charts[id].png = out.width ? out.toDataURL('image/png') : '';
    } catch (e) {
      facts.charts[id] = { error: String(e?.message ?? e), png: '' };
    }
  }
  return facts;
}

/** chart.rs `browser`: on('updateAxisPointer') reports the bar; showTip moves it (keyboard). */
function listen(ids) {
  window.__pointer = {};
  for (const id of ids) {
    const chart = window.echarts.getInstanceByDom(document.getElementById(id));
    window.__pointer[id] = [];
    chart.on('updateAxisPointer', (event) => {
      const v = event?.axesInfo?.[0]?.value;
      if (typeof v === 'number' && v >= 0) window.__pointer[id].push(v);
    });
  }
}

function showTip([id, index]) {
  window.echarts.getInstanceByDom(document.getElementById(id)).dispatchAction(JSON.parse(`{"type":"showTip","seriesIndex":0,"dataIndex":${index}}`));
  return window.__pointer[id].at(-1) ?? null;
}

// ---- Checks ------------------------------------------------------------------------------------

function page_html() {
  return `<!doctype html><html><head><meta charset="utf-8"><style>body{margin:0;font-family:sans-serif}div.chart{margin:8px}</style></head><body>${CHARTS.map(
    ([id, w, h]) => `<div id="${id}" class="chart" role="img" aria-label="${id}" style="width:${w}px;height:${h}px"></div>`,
  ).join('')}</body></html>`;
}

async function check(browser, bundle) {
  const failures = [];
  const fail = (what) => failures.push(what);
  const context = await browser.newContext({ viewport: { width: 1000, height: 900 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const messages = [];
  page.on('console', (m) => messages.push(`console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => messages.push(`page error: ${e.message}`));
  await page.setContent(page_html());
  await page.addScriptTag({ path: bundle });
  const facts = await page.evaluate(drawAll, CHARTS);

  if (!facts.global || facts.init !== 'function' || facts.getInstanceByDom !== 'function') {
    fail(`global echarts: in window ${facts.global}, init ${facts.init}, getInstanceByDom ${facts.getInstanceByDom}`);
  }
  for (const [id, , , , option] of CHARTS) {
    const f = facts.charts[id];
    if (f.error) {
      fail(`${id}: drawing threw ${f.error}`);
      continue;
    }
    const want = option.series.map((s) => s.type);
    if (JSON.stringify(f.series) !== JSON.stringify(want)) fail(`${id}: series ${f.series} (want ${want})`);
    if (!f.finished) fail(`${id}: never finished rendering`);
    if (!f.sameInstance) fail(`${id}: getInstanceByDom does not return the chart`);
    if (f.drawnPixels < 5000) fail(`${id}: canvas blank (${f.drawnPixels} drawn pixels, ${f.canvases} canvases)`);
    if (f.tooltip !== 1) fail(`${id}: no tooltip component`);
    const wantLegend = option.legend.type ?? 'plain';
    if (f.legend.length !== 1 || f.legend[0] !== wantLegend) fail(`${id}: legend ${f.legend} (want ${wantLegend})`);
    if (f.grids !== (Array.isArray(option.grid) ? option.grid.length : 1)) fail(`${id}: ${f.grids} grids`);
    if (id.startsWith('price-')) {
      if (f.axisPointer !== 1) fail(`${id}: no axisPointer component`);
      if (JSON.stringify(f.dataZoom) !== '["inside","slider"]') fail(`${id}: dataZoom ${f.dataZoom}`);
      const marked = option.series.filter((s) => s.markLine).length;
      if (f.markLines !== marked) fail(`${id}: ${f.markLines} markLines (want ${marked})`);
      if (f.yAxis0 !== option.yAxis[0].type) fail(`${id}: price axis ${f.yAxis0}`);
    }
  }

  // The crosshair: keyboard (showTip) and pointer, reported by updateAxisPointer.
  const drawn = (id) => !facts.charts[id].error;
  await page.evaluate(listen, PRICE.filter(drawn));
  for (const id of PRICE.filter(drawn)) {
    for (const index of [0, 42, 159]) {
      const got = await page.evaluate(showTip, [id, index]);
      if (got !== index) fail(`${id}: showTip ${index} reported ${got}`);
    }
    await page.locator(`#${id}`).scrollIntoViewIfNeeded();
    const box = await page.locator(`#${id}`).boundingBox();
    await page.mouse.move(box.x + 64 + (900 - 88) * 0.25, box.y + TOP + 100);
    await page.waitForTimeout(100);
    const seen = await page.evaluate((id) => window.__pointer[id].at(-1), id);
    if (!(seen >= 30 && seen <= 50)) fail(`${id}: pointer move reported bar ${seen} (want about 40)`);
  }
  // The charming charts' axis tooltip, on hover.
  for (const [id, series] of [['forecast-chart', 'Close'], ['equity', 'Buy and hold'], ['track-chart', 'Actual close']].filter(([id]) => drawn(id))) {
    await page.locator(`#${id}`).scrollIntoViewIfNeeded();
    const box = await page.locator(`#${id}`).boundingBox();
    await page.mouse.move(box.x + box.width * 0.4, box.y + box.height * 0.55);
    await page.waitForTimeout(300);
    const text = await page.evaluate((id) => [...document.getElementById(id).querySelectorAll('div')].filter((d) => !d.querySelector('canvas') && d.offsetParent !== null).map((d) => d.innerText).join(' | '), id);
    if (!text.includes(series)) fail(`${id}: no tooltip on hover (saw "${text.slice(0, 80)}")`);
  }
  // Redrawing disposes the chart there first (components/echarts.rs `replace`).
  const redraw = drawn('price-default') && await page.evaluate(() => {
    const el = document.getElementById('price-default');
    const old = window.echarts.getInstanceByDom(el);
    const option = old.getOption();
    old.dispose();
    const chart = window.echarts.init(el);
    chart.setOption(option);
    return old.isDisposed() && window.echarts.getInstanceByDom(el) === chart && el.querySelectorAll('canvas').length >= 1;
  });
  if (!redraw) fail('price-default: redraw (dispose, init) failed');

  for (const m of messages) fail(m);
  await context.close();
  const images = Object.fromEntries(Object.entries(facts.charts).map(([id, f]) => [id, f.png]));
  return { bundle, version: facts.version, failures, images, pixels: Object.fromEntries(Object.entries(facts.charts).map(([id, f]) => [id, f.drawnPixels])) };
}

/** The development build must report what it lacks: proves console messages are caught. */
async function control(browser, bundle) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const messages = [];
  page.on('console', (m) => messages.push(m.text()));
  await page.setContent('<div id="c" style="width:300px;height:200px"></div>');
  await page.addScriptTag({ path: bundle });
  await page.evaluate(() => {
    const chart = window.echarts.init(document.getElementById('c'));
    chart.setOption({ title: { text: 'x' }, series: [{ type: 'pie', data: [1, 2] }] });
  });
  await context.close();
  const ok = messages.some((m) => m.includes('Series pie is used but not imported')) && messages.some((m) => m.includes('Component title is used but not imported'));
  return { ok, messages: messages.map((m) => m.split('\n')[0]) };
}

// ---- Main --------------------------------------------------------------------------------------

let bundles = process.argv.slice(2);
let dev = null;
if (bundles.length === 0) {
  const { build } = await import('./build.mjs');
  dev = join(mkdtempSync(join(tmpdir(), 'echarts-check-')), 'echarts-custom-dev.js');
  await build({ dev: true, outfile: dev });
  bundles = [
    join(here, '../../public/echarts.min.js'),
    dev,
    join(here, 'node_modules/echarts/dist/echarts.min.js'),
    join(here, 'node_modules/echarts/dist/echarts.js'),
  ];
}

const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
let failed = false;
const results = [];
try {
  for (const bundle of bundles) {
    const r = await check(browser, bundle);
    results.push(r);
    const name = relative(process.cwd(), bundle) || bundle;
    if (r.failures.length) {
      failed = true;
      console.log(`FAIL ${name} (echarts ${r.version})`);
      for (const f of r.failures) console.log(`  - ${f.split('\n')[0]}`);
    } else {
      console.log(`ok   ${name} (echarts ${r.version}): ${CHARTS.length} charts drawn, ${Object.values(r.pixels).join('/')} pixels`);
    }
  }
  if (results.length > 1) {
    const hash = (png) => createHash('sha256').update(png).digest('hex').slice(0, 12);
    const out = join(tmpdir(), 'echarts-check-images');
    for (const [id] of CHARTS) {
      const hashes = results.map((r) => (r.images[id] ? hash(r.images[id]) : 'none'));
      if (new Set(hashes).size === 1) {
        console.log(`ok   ${id}: the same pixels from all ${results.length} bundles (${hashes[0]})`);
      } else {
        failed = true;
        mkdirSync(out, { recursive: true });
        results.forEach((r, k) => r.images[id] && writeFileSync(join(out, `${id}-${k}-${basename(r.bundle)}.png`), Buffer.from(r.images[id].split(',')[1], 'base64')));
        console.log(`FAIL ${id}: the bundles draw different pixels (${hashes.join(' ')}); images in ${out}`);
      }
    }
  }
  if (dev) {
    const c = await control(browser, dev);
    if (c.ok) {
      console.log(`ok   control: the development build reports what it lacks ("${c.messages.join('", "')}")`);
    } else {
      failed = true;
      console.log(`FAIL control: the development build did not report a pie series and a title: ${JSON.stringify(c.messages)}`);
    }
  }
} finally {
  await browser.close();
  if (dev) rmSync(dirname(dev), { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
