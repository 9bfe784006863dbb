// Each library behind one shape, page side:
//   create({ workers, prefetch }) -> { run(params) -> Promise<result>, destroy() }
// Every option is the library's default except the worker count (fixed) and, when the
// runner passes --prefetch, the threadbank script bank's prefetch. Every worker runs the
// same handler (bench/node/workers/handlers.mjs `add`).
import { canUseThreads, createWorkerManager } from '/dist/browser/browser.js';
import * as Comlink from '/node_modules/comlink/dist/esm/comlink.mjs';
// workerpool ships a UMD bundle for browsers; loaded as a module it sets globalThis.workerpool.
import '/node_modules/workerpool/dist/workerpool.min.js';

const worker = (name) => new URL(name, import.meta.url).href;

export const LIBRARIES = {
  threadbank: {
    async create({ workers, prefetch }) {
      const bank = { bankId: 'bench', script: worker('./tb-worker.js'), workerCount: workers };
      if (prefetch !== undefined) bank.prefetch = prefetch;
      const manager = await createWorkerManager({ banks: [bank] });
      return {
        threads: canUseThreads(),
        run: (params) => manager.submitRequest('add', params),
        destroy: () => manager.shutdown(),
      };
    },
  },
  workerpool: {
    async create({ workers }) {
      const pool = globalThis.workerpool.pool(worker('./wp-worker.js'), {
        minWorkers: workers,
        maxWorkers: workers,
        workerType: 'web',
        // A module worker, so it can import the shared ES module handlers (see wp-worker.js).
        workerOpts: { type: 'module' },
      });
      return { run: (params) => pool.exec('add', [params]), destroy: () => pool.terminate() };
    },
  },
  // comlink is an RPC layer, not a pool: the "pool" is a round robin over N wrapped
  // workers, the simplest thing a page using comlink would write. No queueing of its own:
  // every call is posted to its worker at once.
  comlink: {
    async create({ workers }) {
      const threads = Array.from({ length: workers }, () => new Worker(worker('./comlink-worker.js'), { type: 'module' }));
      const remotes = threads.map((t) => Comlink.wrap(t));
      let next = 0;
      return {
        run: (params) => {
          const remote = remotes[next];
          next = (next + 1) % remotes.length;
          return remote.add(params);
        },
        destroy: () => {
          for (const remote of remotes) remote[Comlink.releaseProxy]();
          for (const t of threads) t.terminate();
        },
      };
    },
  },
};
