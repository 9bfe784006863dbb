#!/usr/bin/env node
// Runs the browser suite in headless Chromium, twice: on a cross-origin isolated page (the
// pthread build) and on a plain page (the build without threads), both under a
// Content-Security-Policy without 'unsafe-eval' (docs/browser.md); then its first actions
// once more on an isolated page whose server sends .wasm without the application/wasm type,
// which WebAssembly's streaming compile would refuse (the loader compiles from the bytes).
// Results are collected
// from the page, printed, and written to build/browser.json so a failure in the browser
// fails `npm test`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

import { serve } from './serve.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
const totals = { passed: 0, failed: 0, skipped: 0 };
try {
  const runs = [
    { isolated: true, label: 'isolated (pthreads)' },
    { isolated: false, label: 'not isolated (no threads)' },
    { isolated: true, label: 'isolated, .wasm as octet-stream', wasmType: 'application/octet-stream', only: 'native and script actions' },
  ];
  for (const { isolated, label, wasmType, only } of runs) {
    const server = await serve(root, { isolated, strictCsp: true, wasmType });
    const { port } = server.address();
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (error) => errors.push(error.message));
    try {
      await page.goto(`http://127.0.0.1:${port}/tests/browser/page/index.html${only ? `?only=${encodeURIComponent(only)}` : ''}`);
      await page.waitForFunction(() => window.__threadbankResults !== undefined, null, { timeout: 120_000 });
      const report = await page.evaluate(() => window.__threadbankResults);
      if (report.isolated !== isolated) throw new Error(`expected crossOriginIsolated ${isolated} but the page reports ${report.isolated}`);
      for (const r of report.results) {
        console.log(`${r.ok ? 'ok  ' : 'FAIL'} [${label}] ${r.name}${r.ok ? '' : `\n     ${r.error}`}`);
        if (r.ok) totals.passed++;
        else totals.failed++;
      }
      if (only) {
        if (report.results.length === 0) throw new Error(`no test matched ${JSON.stringify(only)}`);
        continue;
      }
      console.log(`     [${label}] 10k burst: ${report.longTasks} main-thread tasks over 50 ms (longest ${report.longestTaskMs.toFixed(1)} ms); the longest gap between main-thread tasks ${report.longestGapMs.toFixed(1)} ms`);
    } catch (error) {
      console.log(`FAIL [${label}] the page did not finish: ${error.message}${errors.length ? `\n     page errors: ${errors.join('; ')}` : ''}`);
      totals.failed++;
    } finally {
      await page.close();
      server.close();
    }
  }
} finally {
  await browser.close();
}
mkdirSync(join(root, 'build'), { recursive: true });
writeFileSync(join(root, 'build', 'browser.json'), JSON.stringify(totals));
console.log(`browser: ${totals.passed} passed, ${totals.failed} failed`);
process.exit(totals.failed > 0 ? 1 : 0);
