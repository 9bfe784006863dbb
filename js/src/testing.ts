/**
 * Test mode for users' own suites: the same core, routing and lifecycle as production, with
 * handlers run in-process and a clock that moves only when the test says so.
 *
 *   const manager = await createTestManager({ banks: [{ bankId: 'math', handlers: { add } }] });
 *   const result = manager.submitRequest('add', { a: 1, b: 2 });
 *   manager.advanceTime(5_000); // fire timeouts and retries without sleeping
 */
import { pathToFileURL } from 'node:url';

import { invalidArgument } from './errors.js';
import { inProcessHost } from './in-process-host.js';
import { WorkerManager } from './manager.js';
import type { CoreModule } from './binding.js';
import { loadCore } from './node/core.js';
import type { BankOptions, NativeBankOptions, WorkerManagerOptions, WorkerManifest } from './types.js';
import { isPlainObject, readOptions } from './validate.js';
import type { HandlerMap } from './worker-types.js';

export { ThreadbankError, isThreadbankError } from './errors.js';
export { WorkerManager } from './manager.js';

/** Where defineWorker() hands its handlers when a test imports a worker script. */
const TEST_HOOK = Symbol.for('threadbank.testWorkerHook');
const scriptHandlers = new Map<string, Promise<HandlerMap>>();

/**
 * Imports a worker script in this thread and captures what it passes to defineWorker().
 * Cached per URL: a module runs once, however many banks or workers use it.
 */
function handlersFromScript(script: string | URL): Promise<HandlerMap> {
  const url = script instanceof URL ? script.href : script.startsWith('file:') ? script : pathToFileURL(script).href;
  let found = scriptHandlers.get(url);
  if (!found) {
    found = (async () => {
      let captured: HandlerMap | undefined;
      const scope = globalThis as Record<symbol, unknown>;
      const previous = scope[TEST_HOOK];
      scope[TEST_HOOK] = (handlers: HandlerMap) => {
        captured = handlers;
      };
      try {
        await import(url);
      } finally {
        scope[TEST_HOOK] = previous;
      }
      if (!captured) throw invalidArgument('script', 'a worker script that calls defineWorker()', url);
      return captured;
    })();
    scriptHandlers.set(url, found);
  }
  return found;
}

/** A bank whose handlers are given directly (they run in the test's thread). */
export interface TestScriptBank {
  bankId: string;
  handlers: HandlerMap;
  manifest?: WorkerManifest;
  workerCount?: number;
  strategy?: BankOptions['strategy'];
  concurrency?: number;
  prefetch?: number | 'auto';
}

/** A bank running a worker script module, imported into the test's thread. */
export interface TestModuleBank extends Omit<TestScriptBank, 'handlers'> {
  script: string | URL;
}

export interface TestManagerOptions extends Omit<WorkerManagerOptions, 'banks'> {
  banks?: (TestScriptBank | TestModuleBank | NativeBankOptions)[];
  /** One function for every task in `tasks`: (taskId, params) => result. */
  requestReducer?: (taskId: string, params: unknown) => unknown;
  /** Task ids the reducer serves (bank "test"). */
  tasks?: string[];
  /** Where the manual clock starts, ms since the epoch. Default 0. */
  startTime?: number;
}

/** Creates a manager in test mode (on the native addon, or the wasm build without it). */
export async function createTestManager(options: TestManagerOptions = {}): Promise<WorkerManager> {
  return createTestManagerOn(await loadCore(), options);
}

/** Test mode over a given compiled core (the suites use it to cover every backend). */
export async function createTestManagerOn(core: CoreModule, options: TestManagerOptions = {}): Promise<WorkerManager> {
  const { banks = [], requestReducer, tasks, startTime = 0, ...rest } = readOptions('options', options, undefined) as TestManagerOptions;
  const handlersByKey = new Map<string, HandlerMap>();
  const resolved: BankOptions[] = banks.map((bank) => {
    if ('builtin' in bank) return bank;
    if ('script' in bank) return bank;
    if (!isPlainObject(bank.handlers)) throw invalidArgument(`bank ${bank.bankId}.handlers`, 'an object of handler functions', bank.handlers);
    const key = `test-bank:${bank.bankId}`;
    handlersByKey.set(key, bank.handlers);
    const { handlers: _handlers, ...bankOptions } = bank;
    return { ...bankOptions, script: key };
  });
  if (requestReducer !== undefined) {
    if (typeof requestReducer !== 'function') throw invalidArgument('options.requestReducer', 'a function', requestReducer);
    if (!Array.isArray(tasks) || tasks.length === 0) throw invalidArgument('options.tasks', 'a non-empty array of task ids served by requestReducer', tasks);
    const handlers: HandlerMap = {};
    for (const task of tasks) handlers[task] = (params: unknown) => requestReducer(task, params);
    handlersByKey.set('test-bank:test', handlers);
    resolved.push({ bankId: 'test', script: 'test-bank:test' });
  }
  // The workers read the manager's clock, which exists once the manager does (no handler
  // runs before that). A handler may still finish after shutdown, when the clock is gone:
  // its time no longer matters then.
  let manager: WorkerManager | undefined;
  let lastNow = startTime;
  const workersNow = (): number => {
    try {
      if (manager) lastNow = manager.now();
    } catch {
      // closed: keep the last reading
    }
    return lastNow;
  };
  const host = inProcessHost(
    async (script) => {
      const handlers = typeof script === 'string' ? handlersByKey.get(script) : undefined;
      if (handlers) return handlers;
      if (typeof script === 'function') throw invalidArgument('script', 'a path or URL of a worker script in test mode', script);
      return handlersFromScript(script);
    },
    workersNow,
  );
  manager = await WorkerManager.create({ core, host, manualClock: true, startTimeMs: startTime }, { ...rest, banks: resolved });
  return manager;
}
