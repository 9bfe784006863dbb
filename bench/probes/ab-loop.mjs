#!/usr/bin/env node
// Two builds of threadbank side by side: the closed loop of tiny tasks (256 in flight, 2
// workers) on a script bank or a native bank, one child process per build and round, the
// builds alternated and their order swapped every round, so both see the same machine.
// Prints each round's ops/s and the B/A ratio, then the median ratio. A build is a checkout
// with dist/ and build/ (its own worker file and addon are used).
//
//   node bench/probes/ab-loop.mjs --a <checkout> --b <checkout> [--kind script|native]
//     [--rounds 5] [--seconds 3]
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    a: { type: 'string' },
    b: { type: 'string' },
    kind: { type: 'string', default: 'script' },
    rounds: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '3' },
    child: { type: 'string' },
  },
});

if (values.child) {
  // One measurement in this process: the checkout given by --child.
  const root = pathToFileURL(`${resolve(values.child)}/`);
  const { createWorkerManager } = await import(new URL('dist/cjs/index.js', root).href);
  const bank = values.kind === 'native' ? { bankId: 'b', builtin: 'basic', workerCount: 2 } : { bankId: 'b', script: new URL('bench/node/workers/threadbank.mjs', root), workerCount: 2 };
  const manager = await createWorkerManager({ maxQueue: 100_000, banks: [bank] });
  const run = (ms) =>
    new Promise((done) => {
      let count = 0;
      let live = 0;
      let stop = false;
      const next = () => {
        if (stop) {
          if (--live === 0) done(count);
          return;
        }
        manager.submitRequest('add', { a: 4, b: 6 }).then(() => {
          count++;
          next();
        });
      };
      for (let i = 0; i < 256; i++) {
        live++;
        next();
      }
      setTimeout(() => (stop = true), ms);
    });
  await run(500); // warm-up
  const seconds = Number(values.seconds);
  const count = await run(seconds * 1000);
  await manager.shutdown();
  console.log(JSON.stringify({ opsPerSecond: count / seconds }));
} else {
  if (!values.a || !values.b) throw new Error('expected --a <checkout> and --b <checkout>');
  const measure = (root) => {
    const out = execFileSync(process.execPath, [new URL(import.meta.url).pathname, '--child', root, '--kind', values.kind, '--seconds', values.seconds], { encoding: 'utf8' });
    return JSON.parse(out.trim().split('\n').at(-1)).opsPerSecond;
  };
  const ratios = [];
  for (let round = 0; round < Number(values.rounds); round++) {
    const order = round % 2 === 0 ? ['a', 'b'] : ['b', 'a'];
    const result = {};
    for (const which of order) result[which] = measure(values[which]);
    ratios.push(result.b / result.a);
    console.log(`round ${round + 1}: A ${Math.round(result.a)} ops/s, B ${Math.round(result.b)} ops/s, B/A ${(result.b / result.a).toFixed(3)}`);
  }
  ratios.sort((x, y) => x - y);
  console.log(`${values.kind}: median B/A over ${ratios.length} rounds: ${ratios[Math.floor(ratios.length / 2)].toFixed(3)} (range ${ratios[0].toFixed(3)}-${ratios.at(-1).toFixed(3)})`);
}
