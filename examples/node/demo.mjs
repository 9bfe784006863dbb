// threadbank demo for Node: a native bank (C++ threads) and a script bank (worker_threads)
// share one manager. A few thousand requests run with a live progress bar, then the
// worker table and system metrics print. Run: npm run demo
import { createWorkerManager } from 'threadbank';

const TOTAL = 4000;
const manager = await createWorkerManager({
  name: 'demo',
  retryBaseMs: 5,
  banks: [
    { bankId: 'native', builtin: 'basic', workerCount: 2 },
    { bankId: 'scripts', script: new URL('../../worker-scripts/examples/math.js', import.meta.url), workerCount: 2 },
  ],
});

const tty = process.stdout.isTTY;
let done = 0;
let failed = 0;
const started = performance.now();
function draw(final = false) {
  const width = 40;
  const filled = Math.round((width * done) / TOTAL);
  const line = `  [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${TOTAL}`;
  if (tty) process.stdout.write(`\r${line}`);
  else if (final ? done % 1000 !== 0 : done % 1000 === 0) console.log(line);
}

const requests = [];
for (let i = 0; i < TOTAL; i++) {
  const kind = i % 10;
  const priority = i % 11;
  let request;
  if (kind === 0) request = manager.submitRequest('burn', { iterations: 100_000 }, { priority });
  else if (kind === 1) request = manager.submitRequest('fail', { message: 'an expected failure' }, { retries: 1 });
  else if (kind < 5) request = manager.submitRequest('fibonacci', { n: 30 + (i % 20) }, { priority, clientId: 'ui' });
  else request = manager.submitRequest('add', { a: i, b: 1 }, { priority, clientId: 'batch' });
  requests.push(
    request.then(
      () => {
        done++;
        draw();
      },
      () => {
        done++;
        failed++;
        draw();
      },
    ),
  );
}
await Promise.all(requests);
draw(true);
const elapsedMs = performance.now() - started;
console.log(`\n  ${TOTAL} requests settled in ${elapsedMs.toFixed(0)} ms (${failed} failed on purpose)\n`);

console.table(
  manager.getWorkerStatus().map((w) => ({
    worker: w.workerId,
    kind: w.kind,
    done: w.tasksCompleted,
    failed: w.tasksFailed,
    'busy ms': Number(w.busyTimeMs.toFixed(1)),
    'idle ms': Number(w.idleTimeMs.toFixed(1)),
  })),
);
const m = manager.getSystemMetrics();
console.table({
  requests: m.totalRequests,
  completed: m.completedRequests,
  failed: m.failedRequests,
  retries: m.retries,
  'success rate': `${(m.successRate * 100).toFixed(1)}%`,
  'processing p50 ms': Number(m.processingTime.p50Ms.toFixed(3)),
  'processing p99 ms': Number(m.processingTime.p99Ms.toFixed(3)),
  'queue wait p99 ms': Number(m.queueWait.p99Ms.toFixed(3)),
  'throughput /s (last 10 s)': Number(m.throughputPerSecond.toFixed(0)),
});
console.log('  first lines of the Prometheus exposition:');
console.log(manager.metricsText().split('\n').slice(0, 6).map((l) => `    ${l}`).join('\n'));
await manager.shutdown();
