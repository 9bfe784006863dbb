#!/usr/bin/env node
// Native bank closed loop (`add`, 256 in flight, 2 native workers), one line per round:
// ops/s, the event loop's busy time per request, and the process's CPU and system time per
// request. For A/B runs of two addon builds, alternate them in one shell loop:
//   for i in 1 2 3 4 5; do for a in A.node B.node; do
//     THREADBANK_ADDON=$a node bench/probes/native-loop.mjs --rounds 1; done; done
// Options: --seconds 3 --rounds 3 --inflight 256
import { parseArgs } from 'node:util';

import { createWorkerManager } from '../../dist/cjs/index.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '3' }, rounds: { type: 'string', default: '3' }, inflight: { type: 'string', default: '256' } } });
const seconds = Number(values.seconds);
const inflight = Number(values.inflight);

const manager = await createWorkerManager({ maxQueue: 100_000, banks: [{ bankId: 'native', builtin: 'basic', workerCount: 2 }] });

async function round(ms) {
  let done = 0;
  let stop = false;
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((resolve) => {
    let live = 0;
    const next = () => {
      if (stop) {
        if (--live === 0) resolve();
        return;
      }
      manager.submitRequest('add', { a: 4, b: 6 }).then(() => {
        done++;
        next();
      });
    };
    for (let i = 0; i < inflight; i++) {
      live++;
      next();
    }
    setTimeout(() => (stop = true), ms);
  });
  const elapsed = performance.now() - t0;
  const elu = performance.eventLoopUtilization(elu0);
  const cpu = process.cpuUsage(cpu0);
  return { ops: done / (elapsed / 1000), busy: (elu.active * 1000) / done, elu: elu.utilization, cpu: (cpu.user + cpu.system) / done, sys: cpu.system / done };
}

await round(500); // warm-up
for (let i = 0; i < Number(values.rounds); i++) {
  const r = await round(seconds * 1000);
  console.log(`ops/s ${Math.round(r.ops)}  event loop busy/op ${r.busy.toFixed(2)} us  elu ${r.elu.toFixed(2)}  process cpu/op ${r.cpu.toFixed(2)} us (sys ${r.sys.toFixed(2)})`);
}
await manager.shutdown();
