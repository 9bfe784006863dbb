/** `threadbank/wasm`: the same API as `threadbank`, on the WebAssembly build of the core. */
import { nodeScriptHost } from './node/host.js';
import { WorkerManager } from './manager.js';
import type { WorkerManagerOptions } from './types.js';
import { loadWasmCore } from './wasm/load-node.js';

export { WorkerManager } from './manager.js';
export { ThreadbankError, isThreadbankError } from './errors.js';
export type { ErrorCode } from './errors.js';
export type * from './types.js';

export interface WasmManagerOptions extends WorkerManagerOptions {
  /** Use the build without threads (native actions then run on this thread). Default false. */
  noThreads?: boolean;
}

export async function createWorkerManager(options?: WasmManagerOptions): Promise<WorkerManager> {
  const { noThreads = false, ...rest } = options ?? {};
  const core = await loadWasmCore(!noThreads);
  return WorkerManager.create({ core, host: nodeScriptHost }, rest);
}
