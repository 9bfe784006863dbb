// A worker script for the browser suite. Pages served without a bundler cannot use bare
// specifiers inside workers, so it imports the built module by path.
import { defineWorker } from '/dist/browser/worker-browser.js';

let spins = 0;

defineWorker({
  add: ({ a, b }) => ({ result: a + b }),
  fail: ({ message }) => {
    throw new Error(message);
  },
  hang: () => {
    for (;;) spins++;
  },
  // Fast, so results are batched, until one call hangs with earlier results still unsent.
  quick: ({ value, hang }) => {
    if (hang) for (;;) spins++;
    return value;
  },
  waitForAbort: (_params, ctx) =>
    new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve({ aborted: true }))),
  // For the chaos check: each mode is one way a handler can go wrong.
  chaos: async ({ mode, value }, ctx) => {
    if (mode === 'throw') throw new Error('chaos: handler failure');
    if (mode === 'crash') {
      // An error thrown outside any handler reaches the Worker's 'error' event: a crash.
      setTimeout(() => {
        throw new Error('chaos: worker crash');
      });
      return new Promise(() => {});
    }
    if (mode === 'hang') for (;;) spins++;
    if (mode === 'flaky' && ctx.attempt === 1) throw new Error('chaos: first attempt fails');
    return value;
  },
  progress: (_params, ctx) => {
    ctx.progress(1);
    ctx.progress(2);
    return 'done';
  },
});
