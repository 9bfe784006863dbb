// A threadbank worker script. Copy it (or run `npx threadbank new-worker <name>`), rename
// the actions, and register it as a bank:
//
//   Node:     createWorkerManager({ banks: [{ bankId: 'mine', script: new URL('./mine.js', import.meta.url) }] })
//   Browser:  createWorkerManager({ banks: [{ bankId: 'mine',
//               script: () => new Worker(new URL('./mine.js', import.meta.url), { type: 'module' }) }] })
//             (write the `new Worker(new URL(...))` out like this: it is what bundlers follow)
//
// The same file runs unchanged in a Node worker_thread and in a browser module Web Worker,
// so it uses no Node-only or browser-only globals. It is an ES module: in a Node package
// without "type": "module", name it .mjs.
import { defineWorker, transfer } from 'threadbank/worker';

// Lets the worker receive messages (such as a cancellation) in the middle of a long job.
// `await null` is not enough: it yields to promises only, never to incoming messages.
const yieldToMessages = () => new Promise((resolve) => setTimeout(resolve, 0));

defineWorker({
  // Each key is an action: `manager.submitRequest('echo', params)` runs this handler.
  //
  //   (params, ctx) => result | Promise<result>
  //
  // `params` is what the caller sent, as a structured clone (buffers the caller listed in
  // `transfer` are moved, not copied). The result must be structured-cloneable too: plain
  // data, arrays, Maps, Sets, Dates, typed arrays, ArrayBuffers. A function or symbol in
  // it fails the request with E_HANDLER (the worker keeps running).
  //
  // `ctx` holds:
  //   ctx.signal     an AbortSignal, aborted when the request is cancelled (its reason is an
  //                  Error named 'AbortError' with code 'E_CANCELLED'); see countTo below
  //   ctx.progress   ctx.progress(value) reaches `manager.on('progress', listener)`
  //   ctx.requestId  the request's id; ctx.attempt is 1, then 2, 3... on retries
  //   ctx.action     this action's name
  echo: (params) => params,

  // A long job that can be cancelled and reports progress.
  countTo: async ({ n }, ctx) => {
    let total = 0;
    for (let i = 1; i <= n; i++) {
      total += i;
      if (i % 10_000 === 0) {
        ctx.progress({ done: i, of: n });
        // A loop that never yields never hears of its cancellation: it runs on until the
        // manager gives up waiting and replaces the whole worker.
        await yieldToMessages();
        ctx.signal.throwIfAborted(); // fails the request with E_CANCELLED
      }
    }
    return { total };
  },

  // Large binary results: wrap the whole return value in transfer() and list the buffers,
  // so they move to the caller instead of being copied. They are empty here afterwards.
  zeros: ({ length }) => {
    const bytes = new Uint8Array(length);
    return transfer({ bytes }, [bytes.buffer]);
  },

  // Failing: throw or reject. The caller's promise rejects with a ThreadbankError whose
  // code is E_HANDLER and whose `cause` keeps your error's name, message, stack and `code`.
  // Throwing an error with code 'E_INVALID_PARAMS' rejects with E_INVALID_PARAMS instead.
  //
  // Other codes the caller may see for requests to this worker:
  //   E_UNKNOWN_TASK    no handler of that name
  //   E_TIMEOUT         the request ran past its timeout (the worker is replaced)
  //   E_CANCELLED       the caller aborted it
  //   E_WORKER_CRASHED  the worker died while running it: an uncaught exception, an
  //                     unhandled promise rejection, or process.exit() in Node (a browser
  //                     worker that calls self.close() is noticed only at the timeout)
  checkPositive: ({ value }) => {
    if (typeof value !== 'number' || !(value > 0)) {
      const error = new RangeError(`Expected a positive number for value but received ${value}`);
      error.code = 'E_INVALID_PARAMS';
      throw error;
    }
    return { value };
  },
});
