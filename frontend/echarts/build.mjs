// Bundles entry.js (the parts of ECharts the app uses) into public/echarts.min.js: a minified IIFE
// that sets the global `echarts`, headed by ECharts' Apache licence banner.
//
//   npm ci --no-audit --no-fund && node build.mjs     the served file, public/echarts.min.js
//   node build.mjs --dev OUT                           an unminified development build at OUT, which
//                                                      warns of charts or components used but not
//                                                      imported (check.mjs uses it)
//
// The output depends only on package-lock.json (echarts, zrender, tslib, esbuild), so the same
// lock gives the same bytes.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
export const OUTFILE = join(here, '../../public/echarts.min.js');

const pkg = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8'));
const echartsPkg = JSON.parse(readFileSync(join(here, 'node_modules/echarts/package.json'), 'utf8'));
if (echartsPkg.version !== pkg.dependencies.echarts) {
  throw new Error(
    `node_modules has echarts ${echartsPkg.version}, package.json pins ${pkg.dependencies.echarts}: run npm ci`,
  );
}

/** The Apache licence header that heads echarts' own dist files (and the full build served before). */
function licenceHeader() {
  const dist = readFileSync(join(here, 'node_modules/echarts/dist/echarts.min.js'), 'utf8');
  const start = dist.indexOf('/*');
  const end = dist.indexOf('*/', start);
  const header = dist.slice(start, end + 2);
  if (start < 0 || !header.includes('Licensed to the Apache Software Foundation')) {
    throw new Error('no Apache licence header at the top of echarts/dist/echarts.min.js');
  }
  return header;
}

/** Builds the bundle; `dev`: unminified, with ECharts' development checks and warnings. */
export async function build({ dev = false, outfile = OUTFILE } = {}) {
  const banner =
    `/*! Apache ECharts ${echartsPkg.version} (zrender ${readVersion('zrender')}), a custom build for ` +
    `Tickercast: only the charts and components of frontend/echarts/entry.js. ` +
    `Licence: echarts.LICENSE.txt (Apache-2.0). */\n` +
    licenceHeader();
  return esbuild.build({
    entryPoints: [join(here, 'entry.js')],
    outfile,
    bundle: true,
    format: 'iife',
    globalName: 'echarts',
    platform: 'browser',
    // The app is WebAssembly, so its browsers run ES2017 at least.
    target: 'es2017',
    minify: !dev,
    // ECharts' sources guard their development checks with `process.env.NODE_ENV`.
    define: { 'process.env.NODE_ENV': JSON.stringify(dev ? 'development' : 'production') },
    banner: { js: banner },
    // The banner carries the licence; the sources' own comments (each file repeats the header) go.
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'warning',
  });
}

function readVersion(name) {
  return JSON.parse(readFileSync(join(here, 'node_modules', name, 'package.json'), 'utf8')).version;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const dev = args[0] === '--dev';
  const outfile = dev ? args[1] : OUTFILE;
  if (dev && !outfile) {
    console.error('usage: node build.mjs [--dev OUT]');
    process.exit(2);
  }
  await build({ dev, outfile });
  console.log(`wrote ${outfile}`);
}
