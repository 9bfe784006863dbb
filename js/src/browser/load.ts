/**
 * Loads the wasm build in a browser: the pthread build on cross-origin isolated pages
 * (SharedArrayBuffer available), the build without threads everywhere else. The paths are
 * literal so bundlers (Vite) follow them and emit the .wasm and worker files.
 */
import type { CoreModule } from '../binding.js';
import { wasmCore, type WasmModule } from '../wasm/engine.js';
import { warmUpOffThread } from '../wasm/warm-up-thread.js';
import { fetchCore, instantiateCore } from './instantiate.js';
import { yieldToPage } from './yield.js';

type Factory = (options: Record<string, unknown>) => Promise<WasmModule>;
/** The .wasm, and for the pthread build its worker script and the loader workers import. */
type BuildFiles = { wasm: string; worker?: string; main?: string };

let loaded: Promise<CoreModule> | undefined;

/**
 * Bundlers inline small assets as data: URLs. A worker started from one has an opaque
 * origin and cannot import the loader from the page's origin, so it becomes a blob: URL,
 * which keeps the page's origin.
 */
function sameOriginScript(url: string): string {
  if (!url.startsWith('data:')) return url;
  const comma = url.indexOf(',');
  const body = url.slice(comma + 1);
  const text = url.slice(0, comma).endsWith(';base64') ? atob(body) : decodeURIComponent(body);
  return URL.createObjectURL(new Blob([text], { type: 'text/javascript' }));
}

/** Whether this page can run the pthread build. */
export function canUseThreads(): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
}

export function loadBrowserCore(options: { threads?: boolean; workers?: number } = {}): Promise<CoreModule> {
  if (!loaded) {
    const threads = options.threads ?? canUseThreads();
    loaded = (async () => {
      // Every file is named with new URL(literal, import.meta.url) so bundlers emit it and
      // rewrite the URL; Emscripten then gets them through locateFile.
      // The import is a literal per build, behind a function, so bundlers follow both paths.
      // The .wasm is the Node build's file: the -web loader links the same objects with the
      // same flags but for its JavaScript, so its .wasm is the same bytes (scripts/build.sh
      // checks it), and the package ships one copy.
      const { files, importLoader }: { files: BuildFiles; importLoader: () => Promise<unknown> } = threads
        ? {
            files: {
              wasm: new URL('../../../build/wasm-threads/threadbank.wasm', import.meta.url).href,
              worker: sameOriginScript(new URL('../../../build/wasm-threads/threadbank-web.worker.js', import.meta.url).href),
              // Each pthread worker imports the loader again; after bundling, the bundled copy
              // is not importable on its own, so workers get the original file (an asset).
              main: new URL('../../../build/wasm-threads/threadbank-web.js', import.meta.url).href,
            },
            importLoader: () => import('../../../build/wasm-threads/threadbank-web.js' as string),
          }
        : {
            files: { wasm: new URL('../../../build/wasm-nothreads/threadbank-nothreads.wasm', import.meta.url).href },
            importLoader: () => import('../../../build/wasm-nothreads/threadbank-nothreads-web.js' as string),
          };
      const wasm = fetchCore(files.wasm);
      // Settles once the download has been looked at, so a failed fetch is not unhandled
      // while the loader is still being imported.
      wasm.catch(() => undefined);
      const factory = ((await importLoader()) as { default: Factory }).default;
      // The import resolves in the task that evaluated the loader; the factory (its body
      // parsed and run, the pthread pool's workers created) goes in a task of its own.
      await yieldToPage();
      // The .wasm comes through instantiateWasm (instantiate.ts), from the fetch started
      // above. If it fails, Emscripten's promise never settles: the race rejects instead.
      let failed!: (error: unknown) => void;
      const instantiationFailed = new Promise<never>((_, reject) => (failed = reject));
      const pending = factory({
        instantiateWasm: (imports: WebAssembly.Imports, receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void) => {
          // receive() starts Emscripten's runtime (at once without threads): what it
          // throws fails the load too.
          instantiateCore(wasm, files.wasm, imports)
            .then((source) => receive(source.instance, source.module))
            .catch(failed);
          return {};
        },
        locateFile: (path: string, prefix: string) =>
          path.endsWith('.wasm') ? files.wasm : path.endsWith('.worker.js') ? (files.worker ?? prefix + path) : prefix + path,
        mainScriptUrlOrBlob: files.main,
        // Pthread workers started with the core: the two every page needs at once (the
        // reaper, and the warm-up thread, whose worker the first manager's timer thread
        // takes over when it ends). Each is a Web Worker loading the module, tens of
        // milliseconds on a busy page: with eight up front the first result of a new page's
        // script bank came about 80 ms later (330 against 250 ms, three loads each, 2
        // cores). More (native banks' threads) start on demand; nothing on the main thread
        // waits for one (docs/browser.md).
        threadbankThreads: options.workers ?? 2,
      });
      const module = await Promise.race([pending, instantiationFailed]);
      // The pthread build compiles the paths a first manager takes on a thread of its own
      // first (warm-up-thread.ts); the main thread waits for it without blocking.
      await warmUpOffThread(module);
      // The first calls into the module (its name tables), which compile what they reach, go
      // in a task of their own: not the one where Emscripten started its runtime (static
      // constructors, embind's registrations: 7-59 ms in Chrome traces of fresh pages), nor
      // the one that brought the warm-up's report.
      await yieldToPage();
      return wasmCore(module);
    })();
    // A core that failed to load (a network error, a server that refused the .wasm) is tried
    // again by the next manager rather than failing every later one. (A failed module's
    // pthread workers stay behind: Emscripten offers no way to stop them before its runtime
    // has started.)
    loaded.catch(() => {
      loaded = undefined;
    });
  }
  return loaded;
}
