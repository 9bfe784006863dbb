#!/usr/bin/env node
// Soak: N requests (default 1,000,000) through a native bank and N through a script bank,
// keeping a bounded number in flight, printing RSS and heap as it goes. Memory must level
// off: the request history is bounded, so after warm-up the process should not grow.
//   node bench/soak.mjs [--requests N] [--in-flight N]
import { createWorkerManager } from 'threadbank';

const arg = (name, fallback) => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
};
const total = arg('--requests', 1_000_000);
const inFlight = arg('--in-flight', 2_000);
const mb = (bytes) => (bytes / 2 ** 20).toFixed(1);

const manager = await createWorkerManager({
  name: 'soak',
  historyLimit: 10_000,
  banks: [
    { bankId: 'native', builtin: 'basic', workerCount: 2 },
    { bankId: 'script', script: new URL('./worker.mjs', import.meta.url), workerCount: 2 },
  ],
});

async function soak(bankId) {
  const samples = [];
  let next = 0;
  let done = 0;
  let wrong = 0;
  const started = performance.now();
  await new Promise((resolve, reject) => {
    const launch = () => {
      const i = next++;
      manager.submitRequest('add', { a: i, b: 1 }, { bankId }).then((r) => {
        if (r.result !== i + 1) wrong++;
        done++;
        if (done % (total / 10) === 0) {
          const { rss, heapUsed } = process.memoryUsage();
          samples.push({ done, rssMb: mb(rss), heapMb: mb(heapUsed) });
        }
        if (next < total) launch();
        else if (done === total) resolve();
      }, reject);
    };
    for (let i = 0; i < Math.min(inFlight, total); i++) launch();
  });
  const seconds = (performance.now() - started) / 1000;
  console.log(`\n${bankId} bank: ${total} requests in ${seconds.toFixed(1)} s (${Math.round(total / seconds)}/s), ${wrong} wrong results`);
  console.table(samples);
  return wrong;
}

const before = process.memoryUsage();
console.log(`start: rss ${mb(before.rss)} MB, heap ${mb(before.heapUsed)} MB`);
const wrong = (await soak('native')) + (await soak('script'));
const m = manager.getSystemMetrics();
console.log(`stored requests ${m.storedRequests} (history bound 10,000), queue ${m.queueDepth}, in flight ${m.inFlight}`);
await manager.shutdown();
global.gc?.();
const after = process.memoryUsage();
console.log(`end: rss ${mb(after.rss)} MB, heap ${mb(after.heapUsed)} MB`);
process.exit(wrong === 0 ? 0 : 1);
