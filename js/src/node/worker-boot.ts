/**
 * The entry point of every script worker in Node. It loads the user's script with
 * require(), which on Node 20.19+ and 22.12+ also loads ES modules, synchronously and
 * without starting Node's asynchronous module loader: a worker is ready about 5 ms sooner
 * than with the script as the worker's own entry (measured in bench/node, workload e).
 * Scripts with top-level await cannot be required; they, and Node versions that cannot
 * require ES modules, are imported instead (Node checks for top-level await before
 * running anything, so no module runs twice).
 */
import { pathToFileURL } from 'node:url';
import { workerData } from 'node:worker_threads';

import { WORKER_SCRIPT_KEY } from '../protocol.js';

const file = (workerData as Record<string, string>)[WORKER_SCRIPT_KEY]!;
try {
  require(file);
} catch (error) {
  const code = (error as { code?: unknown } | null)?.code;
  if (code !== 'ERR_REQUIRE_ASYNC_MODULE' && code !== 'ERR_REQUIRE_ESM') throw error;
  import(pathToFileURL(file).href).catch((failure: unknown) => {
    // Thrown outside the promise, so a script that fails to load ends the worker with its
    // own error even under --unhandled-rejections=warn (workers inherit execArgv).
    process.nextTick(() => {
      throw failure;
    });
  });
}
