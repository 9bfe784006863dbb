/**
 * Loads the wasm build in Node: the fallback when the native addon is missing, and the
 * backend `threadbank/wasm` forces. The bytes are read here and handed to the module,
 * because Emscripten's loader tries fetch() on a file path in Node 18+ and fails.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

import type { CoreModule } from '../binding.js';
import { ThreadbankError } from '../errors.js';
import { wasmCore, type WasmModule } from './engine.js';

type Factory = (options: Record<string, unknown>) => Promise<WasmModule>;

const modules = new Map<boolean, Promise<WasmModule>>();
const cores = new Map<boolean, Promise<CoreModule>>();

/** The build folder: <package>/build/wasm-threads or build/wasm-nothreads. */
export function wasmDir(threads: boolean): string {
  return process.env.THREADBANK_WASM_DIR ?? path.resolve(__dirname, '..', '..', '..', 'build', threads ? 'wasm-threads' : 'wasm-nothreads');
}

/** One module per process and build; every manager gets its own engine inside it. */
export function loadWasmCore(threads = true): Promise<CoreModule> {
  let core = cores.get(threads);
  if (!core) {
    core = loadWasmModule(threads).then(wasmCore);
    cores.set(threads, core);
  }
  return core;
}

/** The Emscripten module itself, as loadWasmCore() wraps it. */
export function loadWasmModule(threads = true): Promise<WasmModule> {
  let module = modules.get(threads);
  if (!module) {
    module = (async () => {
      const dir = wasmDir(threads);
      const name = threads ? 'threadbank' : 'threadbank-nothreads';
      let factory: Factory;
      let wasmBinary: Buffer;
      try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        factory = require(path.join(dir, `${name}.js`)) as Factory;
        wasmBinary = readFileSync(path.join(dir, `${name}.wasm`));
      } catch (error) {
        throw new ThreadbankError('E_INTERNAL', `Expected the threadbank wasm build in ${dir} but it could not be loaded (${(error as Error).message}); run \`npm run build\``, { cause: error });
      }
      return factory({
        wasmBinary,
        locateFile: (file: string) => path.join(dir, file),
        // Workers created at start-up for the core's threads (timers, native workers).
        threadbankThreads: Number(process.env.THREADBANK_WASM_THREADS ?? 8),
      });
    })();
    modules.set(threads, module);
  }
  return module;
}
