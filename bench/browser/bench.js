// Page side of the browser benchmark: runs one library's closed loop and watches the main
// thread while it does. The runner (bench/browser/run.mjs) loads this page afresh for every
// library and round, so no library inherits another's heap, workers or timers, and calls
// window.__bench.run(name, options) through playwright.
import { LIBRARIES } from './libraries.js';

const log = (line) => (document.getElementById('log').textContent += `${line}\n`);

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * Keeps `inflight` requests outstanding for `seconds` (the same loop as bench/node/run.mjs):
 * counts and times only the ones that complete inside the window, then waits for the rest.
 */
function closedLoop(run, inflight, seconds, recordLatency) {
  return new Promise((resolve, reject) => {
    let latencies = new Float64Array(recordLatency ? 1 << 20 : 0);
    let latencyCount = 0;
    let completed = 0;
    let active = 0;
    let failed = false;
    const start = performance.now();
    const end = start + seconds * 1000;
    const params = { a: 4, b: 6 };
    const record = (ms) => {
      if (latencyCount === latencies.length) {
        const bigger = new Float64Array(latencies.length * 2);
        bigger.set(latencies);
        latencies = bigger;
      }
      latencies[latencyCount++] = ms;
    };
    const fail = (error) => {
      if (failed) return;
      failed = true;
      reject(error);
    };
    const launch = () => {
      const t0 = performance.now();
      active++;
      run(params).then((value) => {
        const t = performance.now();
        active--;
        if (failed) return;
        if (value?.result !== 10) return fail(new Error(`add answered ${JSON.stringify(value)}`));
        if (t <= end) {
          completed++;
          if (recordLatency) record(t - t0);
          launch();
        } else if (active === 0) {
          const sorted = latencies.subarray(0, latencyCount).sort();
          resolve({ start, end, completed, ops: completed / seconds, p50: percentile(sorted, 50), p99: percentile(sorted, 99) });
        }
      }, fail);
    };
    for (let i = 0; i < inflight; i++) launch();
  });
}

/**
 * Main-thread watch for one library run: long tasks (> 50 ms, from the Long Tasks API) and,
 * since that API is silent below 50 ms, how late a 10 ms timer chain fires — the longest
 * stretch the page could not run a timer, whatever blocked it.
 */
function watchMainThread() {
  const longTasks = [];
  const observer = new PerformanceObserver((list) => longTasks.push(...list.getEntries()));
  observer.observe({ entryTypes: ['longtask'] });
  const TICK_MS = 10;
  const lateness = []; // [time, ms late]
  let timer;
  let last = performance.now();
  const tick = () => {
    const now = performance.now();
    lateness.push([now, Math.max(0, now - last - TICK_MS)]);
    last = now;
    timer = setTimeout(tick, TICK_MS);
  };
  timer = setTimeout(tick, TICK_MS);
  return {
    async stop() {
      clearTimeout(timer);
      // Long-task entries are delivered after the task; give the last ones time to arrive.
      await new Promise((resolve) => setTimeout(resolve, 100));
      longTasks.push(...observer.takeRecords());
      observer.disconnect();
      const within = (from, to) => {
        const tasks = longTasks.filter((t) => t.startTime < to && t.startTime + t.duration > from);
        const delays = lateness.filter(([at]) => at > from && at <= to).map(([, ms]) => ms);
        return {
          longTasks: tasks.length,
          longestTaskMs: Math.max(0, ...tasks.map((t) => t.duration)),
          maxTimerDelayMs: Math.max(0, ...delays),
        };
      };
      /** Each long task with the phase it began in (`phases`: [name, from] in time order). */
      const placed = (phases) =>
        longTasks.map((t) => {
          const phase = phases.filter(([, from]) => from <= t.startTime).at(-1)?.[0] ?? phases[0][0];
          return { phase, ms: t.duration };
        });
      return { within, all: within(-Infinity, Infinity), placed };
    },
  };
}

async function run(name, { workers, inflight, warmup, seconds, prefetch }) {
  const library = LIBRARIES[name];
  if (!library) throw new Error(`unknown library ${name}`);
  const watch = watchMainThread();
  const created = performance.now();
  const pool = await library.create({ workers, prefetch });
  const startupMs = performance.now() - created;
  let measured;
  let shutdownAt = Infinity;
  try {
    await closedLoop(pool.run, inflight, warmup, false);
    measured = await closedLoop(pool.run, inflight, seconds, true);
  } finally {
    shutdownAt = performance.now();
    await pool.destroy();
  }
  const main = await watch.stop();
  const phases = [
    ['start-up', -Infinity],
    ['warm-up', created + startupMs],
    ['measured', measured.start],
    ['draining', measured.end],
    ['shutdown', shutdownAt],
  ];
  const window_ = main.within(measured.start, measured.end);
  log(`${name}: ${Math.round(measured.ops)} ops/s`);
  return {
    isolated: globalThis.crossOriginIsolated === true,
    threads: pool.threads,
    startupMs,
    ops: measured.ops,
    completed: measured.completed,
    p50: measured.p50,
    p99: measured.p99,
    // During the measured window, and over the whole run (start-up to shutdown).
    window: window_,
    whole: { ...main.all, tasks: main.placed(phases) },
  };
}

window.__bench = { run };
window.__benchReady = true;
