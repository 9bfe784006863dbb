/** threadbank for Node.js: the native addon, script workers on worker_threads. */
import { WorkerManager } from './manager.js';
import { loadCore } from './node/core.js';
import { nodeScriptHost } from './node/host.js';
import type { WorkerManagerOptions } from './types.js';

export { WorkerManager } from './manager.js';
export { environment } from './node/environment.js';
export { ThreadbankError, isThreadbankError } from './errors.js';
export { getBackend, type BackendInfo } from './node/core.js';
export type { ErrorCode } from './errors.js';
export type * from './types.js';

/**
 * Creates a manager and starts its banks. Resolves once each script bank has one worker
 * ready (the others join as they start). Rejects with a ThreadbankError (E_INVALID_ARGUMENT,
 * E_INVALID_MANIFEST, E_WORKER_CRASHED, ...) if the options are wrong or a bank cannot start.
 */
export async function createWorkerManager(options?: WorkerManagerOptions): Promise<WorkerManager> {
  return WorkerManager.create({ core: await loadCore(), host: nodeScriptHost }, options);
}
