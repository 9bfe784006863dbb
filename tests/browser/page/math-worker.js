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
  waitForAbort: (_params, ctx) =>
    new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve({ aborted: true }))),
  progress: (_params, ctx) => {
    ctx.progress(1);
    ctx.progress(2);
    return 'done';
  },
});
