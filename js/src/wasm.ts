/** `threadbank/wasm`: the same API as `threadbank`, on the WebAssembly build of the core. */
import { nodeScriptHost } from './node/host.js';
import { WorkerManager } from './manager.js';
import type { WorkerManagerOptions } from './types.js';
import { invalidArgument } from './errors.js';
import { readOptions } from './validate.js';
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
  // Read once, through the checks every option gets (a getter that throws is an E_INVALID_ARGUMENT).
  const { noThreads = false, ...rest } = readOptions('options', options ?? {}, undefined);
  if (typeof noThreads !== 'boolean') throw invalidArgument('options.noThreads', 'a boolean', noThreads);
  const core = await loadWasmCore(!noThreads);
  return WorkerManager.create({ core, host: nodeScriptHost }, rest);
}
