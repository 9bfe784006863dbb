/** environment() for browsers: which wasm build a page gets, and why. */
import type { Environment } from '../types.js';
import { canUseThreads } from './load.js';

/**
 * Which build of the core a manager created on this page uses and why: the pthread build
 * needs a cross-origin isolated page (COOP/COEP headers), else the build without threads
 * runs native actions on this thread (docs/browser.md).
 */
export function environment(): Environment {
  const scope = globalThis as { crossOriginIsolated?: boolean; navigator?: { hardwareConcurrency?: number } };
  const isolated = scope.crossOriginIsolated === true;
  const threads = canUseThreads();
  return {
    runtime: 'browser',
    backend: threads ? 'wasm-threads' : 'wasm-nothreads',
    reason: threads
      ? 'the page is cross-origin isolated, so the WebAssembly build with threads is used'
      : `the WebAssembly build without threads is used: ${isolated ? 'SharedArrayBuffer is unavailable' : 'the page is not cross-origin isolated (serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)'}`,
    addon: { loaded: false },
    wasmThreads: threads,
    parallelism: scope.navigator?.hardwareConcurrency ?? 1,
    crossOriginIsolated: isolated,
  };
}
