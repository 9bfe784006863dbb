// A threadbank worker script in TypeScript (`npx threadbank new-worker <name> --typescript`).
// The JavaScript template (template.js beside this file) explains each part at length; this
// one adds types: each handler declares its params, and `typeof handlers` types a client, so
// tsc checks the action names, params and results of the requests you send it:
//
//   import type { handlers } from './mine.js';   // a type-only import: the script is not run
//   const manager = await createWorkerManager({ banks: [{ bankId: 'mine', script: new URL('./mine.js', import.meta.url) }] });
//   const mine = manager.bank<typeof handlers>('mine');
//   const { total } = await mine.submit('countTo', { n: 1_000_000 });   // total: number
//
// Compile it to JavaScript before a bank loads it (Node's worker_threads run .js files; a
// bundler such as Vite compiles it for browsers on its own).
import { defineWorker, transfer, type HandlerContext } from 'threadbank/worker';

// Lets the worker receive messages (such as a cancellation) in the middle of a long job.
const yieldToMessages = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

export const handlers = defineWorker({
  // Each key is an action: `(params, ctx) => result | Promise<result>`. Params and results
  // cross as structured clones (plain data, arrays, Maps, Sets, Dates, typed arrays).
  echo: <T>(params: T): T => params,

  // A long job that can be cancelled and reports progress (ctx.progress reaches
  // manager.on('progress', ...)).
  countTo: async ({ n }: { n: number }, ctx: HandlerContext) => {
    let total = 0;
    for (let i = 1; i <= n; i++) {
      total += i;
      if (i % 10_000 === 0) {
        ctx.progress({ done: i, of: n });
        await yieldToMessages();
        ctx.signal.throwIfAborted(); // fails the request with E_CANCELLED
      }
    }
    return { total };
  },

  // Large binary results move to the caller instead of being copied.
  zeros: ({ length }: { length: number }) => {
    const bytes = new Uint8Array(length);
    return transfer({ bytes }, [bytes.buffer]);
  },

  // A thrown error rejects the caller's promise with E_HANDLER (the error kept as `cause`);
  // one whose code is 'E_INVALID_PARAMS' rejects with E_INVALID_PARAMS instead.
  checkPositive: ({ value }: { value: number }) => {
    if (!(value > 0)) throw Object.assign(new RangeError(`Expected a positive number for value but received ${value}`), { code: 'E_INVALID_PARAMS' });
    return { value };
  },
});
