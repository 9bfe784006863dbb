/** threadbank for Node.js: the native addon, script workers on worker_threads. */
import { WorkerManager } from './manager.js';
import { loadAddon } from './node/addon.js';
import { nodeScriptHost } from './node/host.js';
import type { WorkerManagerOptions } from './types.js';

export { WorkerManager } from './manager.js';
export { ThreadbankError, isThreadbankError } from './errors.js';
export type { ErrorCode } from './errors.js';
export type * from './types.js';

/**
 * Creates a manager and starts its banks. Rejects with a ThreadbankError (E_INVALID_ARGUMENT,
 * E_INVALID_MANIFEST, E_WORKER_CRASHED, ...) if the options are wrong or a bank cannot start.
 */
export function createWorkerManager(options?: WorkerManagerOptions): Promise<WorkerManager> {
  try {
    return WorkerManager.create({ core: loadAddon(), host: nodeScriptHost }, options);
  } catch (error) {
    return Promise.reject(error);
  }
}
