// A threadbank worker script. Copy it (or run `npx threadbank new-worker <name>`), rename
// the actions, and register it as a bank:
//
//   createWorkerManager({ banks: [{ bankId: 'mine', script: new URL('./mine.js', import.meta.url) }] })
//
// The same file runs in a Node worker_thread and in a browser Web Worker.
import { defineWorker, transfer } from 'threadbank/worker';

defineWorker({
  // Each key is an action: submitRequest('echo', params) runs this handler.
  // `params` is what the caller sent (a structured clone, or transferred buffers).
  // Return a value (or a promise of one); throw (or reject) to fail the request with
  // E_HANDLER; the error's message, name and `code` reach the caller as `error.cause`.
  echo: (params) => params,

  // ctx.signal aborts when the request is cancelled or its worker must stop: long work
  // should check it. ctx.progress(value) reaches `manager.on('progress', ...)` listeners.
  countTo: async ({ n }, ctx) => {
    for (let i = 1; i <= n; i++) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      if (i % 1000 === 0) ctx.progress({ done: i, of: n });
      await null;
    }
    return { counted: n };
  },

  // Return large binary results with transfer() so they move instead of being copied.
  zeros: ({ length }) => {
    const buffer = new ArrayBuffer(length);
    return transfer({ buffer }, [buffer]);
  },
});
