#!/usr/bin/env node
// Time spent in each call into the core on the event loop, for the script bank's closed
// loop of tiny tasks (`loop`: add, 256 in flight, 3 s) or poolifier's shape (`shape`:
// tasks submitted at once, each 1,000 JSON.stringify calls). Wraps every method of the
// manager's engine with a clock read, which costs about 0.1 us per call: compare runs of
// this probe with each other, not with the benches. THREADBANK_ROOT points at another
// checkout's build for A/B runs (its dist/ and build/addon/ must match).
//   node bench/probes/engine-calls.mjs loop|shape [tasks=20000] [--no-wrap]
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const root = process.env.THREADBANK_ROOT ?? new URL('../..', import.meta.url).pathname;
const { createWorkerManager } = require(`${root}/dist/cjs/index.js`);
const args = process.argv.slice(2);
const wrap = !args.includes('--no-wrap');
const [shape = 'loop', tasksArg = '20000'] = args.filter((a) => !a.startsWith('--'));
const tasks = Number(tasksArg);

const script = new URL(shape === 'shape' ? './workers/threadbank.mjs' : '../node/workers/threadbank.mjs', import.meta.url);
const manager = await createWorkerManager({ maxQueue: 200_000, banks: [{ bankId: 'b', script, workerCount: 2 }] });
const engine = manager.engine;
const stats = new Map();
if (wrap) {
  for (const name of Object.getOwnPropertyNames(Object.getPrototypeOf(engine))) {
    const method = engine[name];
    if (typeof method !== 'function' || name === 'constructor') continue;
    Object.defineProperty(engine, name, {
      configurable: true,
      writable: true,
      value(...callArgs) {
        const start = performance.now();
        try {
          return method.apply(engine, callArgs);
        } finally {
          const s = stats.get(name) ?? { n: 0, ms: 0 };
          s.n++;
          s.ms += performance.now() - start;
          stats.set(name, s);
        }
      },
    });
  }
}

async function closedLoop(ms) {
  const data = { a: 4, b: 6 };
  let done = 0;
  let stop = false;
  const lane = async () => {
    while (!stop) {
      await manager.submitRequest('add', data);
      done++;
    }
  };
  const lanes = Array.from({ length: 256 }, lane);
  await new Promise((resolve) => setTimeout(resolve, ms));
  stop = true;
  await Promise.all(lanes);
  return done;
}

async function atOnce(count) {
  const data = { n: 1000 };
  const promises = new Array(count);
  for (let i = 0; i < count; i++) promises[i] = manager.submitRequest('jsonLoop', data);
  await Promise.all(promises);
  return count;
}

if (shape === 'shape') await atOnce(1000);
else await closedLoop(500);
stats.clear();
const cpu0 = process.cpuUsage();
const elu0 = performance.eventLoopUtilization();
const start = performance.now();
const done = shape === 'shape' ? await atOnce(tasks) : await closedLoop(3000);
const wall = performance.now() - start;
const cpu = process.cpuUsage(cpu0);
const elu = performance.eventLoopUtilization(elu0);
const us = (ms) => ((ms * 1000) / done).toFixed(2);
console.log(
  `${shape}: ${done} tasks in ${wall.toFixed(0)} ms (${Math.round((done / wall) * 1000)}/s), ` +
    `event loop busy ${us(elu.active)} us/task, process CPU ${(((cpu.user + cpu.system) / done)).toFixed(2)} us/task`,
);
for (const [name, s] of [...stats].sort((a, b) => b[1].ms - a[1].ms)) {
  console.log(`  ${name}: ${s.n} calls, ${((s.ms * 1000) / s.n).toFixed(1)} us/call, ${us(s.ms)} us/task`);
}
await manager.shutdown();
