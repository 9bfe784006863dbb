#!/usr/bin/env node
// Main-thread long tasks over fresh page loads in headless Chromium: each load starts a
// threadbank manager (2 script workers) on the benchmark page, runs 256 lanes of tiny
// tasks for 1 s, shuts down, and reports every task over 50 ms (Long Tasks API) with its
// start (ms after the manager's creation began) and duration.
//   node bench/probes/long-tasks.mjs [loads=24] [plain]
// `plain` serves the page without cross-origin isolation (the build without threads).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

import { serve } from '../../tests/browser/serve.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const loads = Number(process.argv[2] ?? 24);
const isolated = process.argv[3] !== 'plain';
const server = await serve(root, { isolated });
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
let withLong = 0;
const longs = [];
const starts = [];
let requests = 0;
try {
  for (let i = 0; i < loads; i++) {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${server.address().port}/bench/browser/page.html`);
    await page.waitForFunction(() => window.__benchReady === true);
    const r = await page.evaluate(async () => {
      const tasks = [];
      const observer = new PerformanceObserver((list) => tasks.push(...list.getEntries()));
      observer.observe({ entryTypes: ['longtask'] });
      const { LIBRARIES } = await import('/bench/browser/libraries.js');
      const t0 = performance.now();
      const pool = await LIBRARIES.threadbank.create({ workers: 2 });
      const created = performance.now();
      let stop = false;
      let n = 0;
      const lane = async () => {
        while (!stop) {
          await pool.run({ a: 4, b: 6 });
          n++;
        }
      };
      const lanes = Array.from({ length: 256 }, lane);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      stop = true;
      await Promise.all(lanes);
      await pool.destroy();
      await new Promise((resolve) => setTimeout(resolve, 100));
      tasks.push(...observer.takeRecords());
      // Marks named threadbank:... (added while diagnosing) that fall in each long task.
      const marks = performance.getEntriesByType('mark').filter((m) => m.name.startsWith('threadbank:'));
      const inside = (t) => marks.filter((m) => m.startTime >= t.startTime && m.startTime <= t.startTime + t.duration).map((m) => m.name.slice('threadbank:'.length));
      return { start: created - t0, n, tasks: tasks.map((t) => [Math.round(t.startTime - t0), Math.round(t.duration), ...inside(t)]) };
    });
    if (r.tasks.length > 0) withLong++;
    longs.push(...r.tasks);
    starts.push(r.start);
    requests += r.n;
    await page.close();
  }
} finally {
  await browser.close();
  server.close();
}
starts.sort((a, b) => a - b);
console.log(`${isolated ? 'isolated (pthread build)' : 'plain (build without threads)'}: loads with a task over 50 ms ${withLong}/${loads}; tasks [ms after create began, duration ms]: ${JSON.stringify(longs)}; manager created in ${starts[loads >> 1].toFixed(0)} ms (median); ${Math.round(requests / loads)} requests per load`);
