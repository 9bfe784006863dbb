// What the two start-up probes share (browser-start-trace.mjs, browser-start-tasks.mjs):
// a fresh bench page per load, a Chrome trace from creating its first threadbank manager
// (2 script workers) to the first result, and the trace's events with a test for the
// page's main thread. The bench's own modules load before the trace starts; the core loads
// inside it. The page marks `threadbank:probe-start` (User Timing) as the trace begins.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

import { serve } from '../../tests/browser/serve.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Runs `loads` fresh pages (`isolated`: cross-origin isolated, so the pthread build) with
 * `categories` traced and Chromium started with `jsFlags` (V8 flags, optional), and calls
 * `onLoad(i, { events, onMain, firstMs })` for each. The traces are removed afterwards
 * unless KEEP_TRACES is set (then their folder is printed).
 */
export async function traceStartUps({ loads, isolated, categories, jsFlags }, onLoad) {
  const traces = mkdtempSync(join(tmpdir(), 'threadbank-start-'));
  const server = await serve(root, { isolated });
  const flags = jsFlags ? [`--js-flags=${jsFlags}`] : [];
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', ...flags] });
  try {
    for (let i = 0; i < loads; i++) {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${server.address().port}/bench/browser/page.html`);
      await page.waitForFunction(() => window.__benchReady === true);
      await page.evaluate(() => import('/bench/browser/libraries.js'));
      const path = join(traces, `load-${i}.json`);
      await browser.startTracing(page, { path, categories });
      const firstMs = await page.evaluate(async () => {
        const { LIBRARIES } = await import('/bench/browser/libraries.js');
        performance.mark('threadbank:probe-start');
        const t0 = performance.now();
        const pool = await LIBRARIES.threadbank.create({ workers: 2 });
        await pool.run({ a: 4, b: 6 });
        const ms = performance.now() - t0;
        await pool.destroy();
        return ms;
      });
      await browser.stopTracing();
      await page.close();
      const parsed = JSON.parse(readFileSync(path, 'utf8'));
      const events = parsed.traceEvents ?? parsed;
      const mainThreads = new Set(events.filter((e) => e.name === 'thread_name' && e.args.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`));
      await onLoad(i, { events, onMain: (e) => mainThreads.has(`${e.pid}:${e.tid}`), firstMs });
    }
  } finally {
    await browser.close();
    server.close();
    if (process.env.KEEP_TRACES) console.log(`traces kept in ${traces}`);
    else rmSync(traces, { recursive: true, force: true });
  }
}
