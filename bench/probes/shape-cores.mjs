#!/usr/bin/env node
// poolifier's benchmark shape (tasks submitted at once, each `n` JSON.stringify calls, 2
// workers) for one library, with how busy the machine's cores were and where the CPU went:
// process CPU over wall time ("cores"), the event loop's utilization, CPU per thread (from
// /proc; worker threads and V8's helper threads are all named "node"), messages each way
// (threadbank only: poolifier talks over MessageChannel ports this does not count), and
// the handlers' own time measured inside the workers.
//   node bench/probes/shape-cores.mjs threadbank|poolifier [tasks=30000]
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const require = createRequire(import.meta.url);
const lib = process.argv[2] ?? 'threadbank';
const tasks = Number(process.argv[3] ?? 30_000);

let posts = 0;
let messages = 0;
const post = Worker.prototype.postMessage;
Worker.prototype.postMessage = function (...args) {
  posts++;
  return post.apply(this, args);
};
const emit = Worker.prototype.emit;
Worker.prototype.emit = function (event, ...args) {
  if (event === 'message') messages++;
  return emit.call(this, event, ...args);
};

let pool;
if (lib === 'threadbank') {
  const { createWorkerManager } = require('../../dist/cjs/index.js');
  const manager = await createWorkerManager({ maxQueue: 200_000, banks: [{ bankId: 'b', script: new URL('./workers/threadbank.mjs', import.meta.url), workerCount: 2 }] });
  pool = { run: (name, data) => manager.submitRequest(name, data), destroy: () => manager.shutdown() };
} else if (lib === 'poolifier') {
  const { FixedThreadPool } = require('poolifier');
  const fixed = new FixedThreadPool(2, new URL('./workers/poolifier.mjs', import.meta.url).pathname);
  pool = { run: (name, data) => fixed.execute(data, name), destroy: () => fixed.destroy() };
} else {
  throw new Error(`expected threadbank or poolifier but received ${lib}`);
}

function threadCpu() {
  const out = new Map();
  for (const tid of readdirSync('/proc/self/task')) {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    out.set(tid, { name: tid === String(process.pid) ? 'main' : name, ms: (fields[11] + fields[12]) * 10 });
  }
  return out;
}
// Every worker answers `stats` once per call; enough calls reach both of them.
const handlerStats = async () => (await Promise.all(Array.from({ length: 8 }, () => pool.run('stats', {})))).reduce((a, s) => ({ ms: a.ms + s.ms, n: a.n + s.n }), { ms: 0, n: 0 });

const data = { n: 1000 };
await Promise.all(Array.from({ length: 1000 }, () => pool.run('jsonLoop', data)));
await handlerStats();
posts = 0;
messages = 0;
const before = threadCpu();
const cpu0 = process.cpuUsage();
const elu0 = performance.eventLoopUtilization();
const start = performance.now();
const promises = new Array(tasks);
for (let i = 0; i < tasks; i++) promises[i] = pool.run('jsonLoop', data);
await Promise.all(promises);
const wall = performance.now() - start;
const cpu = process.cpuUsage(cpu0);
const elu = performance.eventLoopUtilization(elu0);
const after = threadCpu();
const sent = posts;
const received = messages;
const handlers = await handlerStats();
const threads = [...after].map(([tid, t]) => [t.name, t.ms - (before.get(tid)?.ms ?? 0)]).filter(([, ms]) => ms > 50);
const cpuMs = (cpu.user + cpu.system) / 1000;
console.log(`${lib}: wall ${wall.toFixed(0)} ms, cores ${(cpuMs / wall).toFixed(2)}, cpu ${cpuMs.toFixed(0)} ms (sys ${(cpu.system / 1000).toFixed(0)}), event loop ${elu.utilization.toFixed(2)}`);
console.log(`  threads (ms): ${threads.map(([name, ms]) => `${name} ${ms}`).join(', ')}`);
if (lib === 'threadbank') console.log(`  messages: ${sent} posted to workers, ${received} from them`);
console.log(`  handlers: ${((handlers.ms / handlers.n) * 1000).toFixed(1)} us per task over ${handlers.n}`);
await pool.destroy();
