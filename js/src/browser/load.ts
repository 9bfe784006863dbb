/**
 * Loads the wasm build in a browser: the pthread build on cross-origin isolated pages
 * (SharedArrayBuffer available), the build without threads everywhere else. The paths are
 * literal so bundlers (Vite) follow them and emit the .wasm and worker files.
 */
import type { CoreModule } from '../binding.js';
import { wasmCore, type WasmModule } from '../wasm/engine.js';

type Factory = (options: Record<string, unknown>) => Promise<WasmModule>;

let loaded: Promise<CoreModule> | undefined;

/** Whether this page can run the pthread build. */
export function canUseThreads(): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
}

export function loadBrowserCore(options: { threads?: boolean; workers?: number } = {}): Promise<CoreModule> {
  if (!loaded) {
    const threads = options.threads ?? canUseThreads();
    loaded = (async () => {
      const factory = threads
        ? ((await import('../../../build/wasm-threads/threadbank-web.js' as string)) as { default: Factory }).default
        : ((await import('../../../build/wasm-nothreads/threadbank-nothreads-web.js' as string)) as { default: Factory }).default;
      // Pthread workers are started up front, so the core never waits for one to load.
      return wasmCore(await factory({ threadbankThreads: options.workers ?? 8 }));
    })();
  }
  return loaded;
}
