/** The core for Node: the native addon, or the wasm build (with one warning) without it. */
import type { CoreModule } from '../binding.js';
import { loadWasmCore } from '../wasm/load-node.js';
import { loadAddon } from './addon.js';

let warned = false;

export async function loadCore(): Promise<CoreModule> {
  try {
    return loadAddon();
  } catch (error) {
    if (!warned) {
      warned = true;
      console.warn(`threadbank: native addon unavailable (${(error as Error).message.split('(')[0]!.trim()}); using the WebAssembly build`);
    }
    return loadWasmCore(true);
  }
}
