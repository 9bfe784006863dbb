/**
 * A fresh wasm core is slow on its first requests: V8 compiles each wasm function on its
 * first call, on the calling thread (lazy compilation), and each JavaScript function on its
 * first run. Left to the page's first burst of submits, the whole submit, dispatch and
 * settle path compiled inside one main-thread task: 40-80 ms on a 2-core machine with the
 * banks' workers starting beside it, in about one page load in three.
 *
 * The browser entry runs this once per loaded core, before the first manager starts its
 * workers: a scratch manager (in-process worker, manual clock, so no thread of its own)
 * takes two requests through that same path, and every hop between manager and worker is a
 * macrotask, so the compiling happens in small tasks. On the pthread build the core's wasm
 * was compiled before this runs, on a thread of its own (wasm/warm-up-thread.ts); what is
 * left here is the JavaScript.
 */
import type { CoreModule } from './binding.js';
import { inProcessHost } from './in-process-host.js';
import { WorkerManager } from './manager.js';
import type { HandlerMap } from './worker-types.js';

const HANDLERS: HandlerMap = {
  // Params the manifest declares cross into the core (parsed and checked there) ...
  typed: (params: unknown) => params,
  // ... others stay in JavaScript; both paths are taken by real banks.
  untyped: (params: unknown) => params,
};

/** Runs the warm-up requests; resolves with their results (for tests), in submit order. */
export async function warmUp(core: CoreModule, yieldToHost: () => Promise<void>): Promise<unknown[]> {
  const hop = (next: () => void) => void yieldToHost().then(next);
  const manager = await WorkerManager.create(
    { core, host: inProcessHost(async () => HANDLERS, undefined, hop), manualClock: true, yieldToHost },
    {
      name: 'threadbank-warm-up',
      banks: [
        {
          bankId: 'warm-up',
          script: 'warm-up',
          manifest: {
            name: 'warm-up',
            actions: [{ actionId: 'typed', parameters: [{ name: 'a', type: 'number', required: true }] }, { actionId: 'untyped' }],
          },
        },
      ],
    },
  );
  try {
    return await Promise.all([manager.submitRequest('typed', { a: 4 }), manager.submitRequest('untyped', { b: [6] })]);
  } finally {
    await manager.shutdown();
  }
}
