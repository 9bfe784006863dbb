// Example worker that misbehaves on purpose, for trying out (and testing) how threadbank
// handles failures. Runs unchanged in a Node worker_thread and in a browser Web Worker.
//
//   throws           throws an Error with a code         -> E_HANDLER, cause.code === 'MY_CODE'
//   rejectsLater     rejects after a timer               -> E_HANDLER, cause.name === 'TypeError'
//   waitForAbort     runs until cancelled                -> E_CANCELLED when the caller aborts
//   spin             never returns, ignores its signal   -> E_TIMEOUT; the worker is replaced
//   exit             ends the worker: process.exit() in Node -> E_WORKER_CRASHED; self.close()
//                    in a browser, which the host cannot see -> E_TIMEOUT if the request has one
//   strayRejection   leaves a rejected promise unhandled -> E_WORKER_CRASHED
//   notCloneable     returns a function                  -> E_HANDLER, the worker lives on
//   progress         reports progress, then finishes     -> 'progress' events, then a result
import { defineWorker } from 'threadbank/worker';

// Written on every turn of the loops below, and readable through `counters`: work with a
// visible effect, which a production build cannot delete as dead code.
const counters = { waitForAbort: 0, spin: 0 };

const yieldToMessages = () => new Promise((resolve) => setTimeout(resolve, 0));

defineWorker({
  throws: ({ message = 'this handler always throws' } = {}) => {
    const error = new Error(message);
    error.code = 'MY_CODE';
    throw error;
  },

  rejectsLater: ({ message = 'this handler rejects later', ms = 1 } = {}) =>
    new Promise((_resolve, reject) => setTimeout(() => reject(new TypeError(message)), ms)),

  // Checks its signal between steps and yields so the cancellation can arrive.
  waitForAbort: async (_params, ctx) => {
    for (;;) {
      counters.waitForAbort++;
      if (ctx.signal.aborted) throw ctx.signal.reason;
      await yieldToMessages();
    }
  },

  // Synchronous and deaf to its signal: only a timeout (which replaces the worker) ends it.
  spin: () => {
    for (;;) counters.spin++;
  },

  // Ends the worker from inside a handler, the way each platform allows.
  exit: ({ code = 1 } = {}) => {
    const nodeProcess = globalThis.process;
    if (nodeProcess && typeof nodeProcess.exit === 'function') nodeProcess.exit(code);
    else globalThis.close();
  },

  strayRejection: () => {
    Promise.reject(new Error('nobody handles this rejection'));
    return 'returned before the rejection was noticed';
  },

  notCloneable: () => ({ callback: () => 'functions cannot be cloned' }),

  progress: async ({ steps = 3 } = {}, ctx) => {
    for (let step = 1; step <= steps; step++) {
      ctx.progress({ step, of: steps });
      await yieldToMessages();
    }
    return { steps };
  },

  counters: () => ({ ...counters }),
});
