/** The core for Node: the native addon, or the wasm build (with one warning) without it. */
import type { CoreModule } from '../binding.js';
import { loadWasmCore, wasmDir } from '../wasm/load-node.js';
import { loadAddon, loadedAddonPath } from './addon.js';

/** Which compiled core this process runs on, and why (see getBackend()). */
export interface BackendInfo {
  /** 'addon': the Node-API addon; 'wasm': the WebAssembly build with pthreads. */
  backend: 'addon' | 'wasm';
  /** The .node file, or the folder of the wasm build. */
  path: string;
  /** Why the addon was not used; absent on the addon. */
  reason?: string;
}

let info: BackendInfo | undefined;

export async function loadCore(): Promise<CoreModule> {
  try {
    const core = loadAddon();
    info ??= { backend: 'addon', path: loadedAddonPath()! };
    return core;
  } catch (error) {
    if (!info) {
      const reason = (error as Error).message;
      info = { backend: 'wasm', path: wasmDir(true), reason };
      // One line, whole: the reason says which file failed and how to build one.
      console.warn(`threadbank: using the WebAssembly build (same API, slower) because the native addon is unavailable. ${reason}`);
    }
    return loadWasmCore(true);
  }
}

/**
 * Which compiled core createWorkerManager() uses in this process: the native addon (built
 * locally or prebuilt for this platform) or the WebAssembly fallback, with the reason.
 * Loads the core if no manager has yet.
 */
export async function getBackend(): Promise<BackendInfo> {
  await loadCore();
  return { ...info! };
}
