import { yieldToPage } from './yield.js';

/**
 * The core's .wasm for Emscripten's `instantiateWasm` hook. The loader's own path starts the
 * download inside its factory, and that fetch() call alone took a median 9 ms of the
 * factory's main-thread task on a fresh page (traces of 16 loads, 2 cores); started here,
 * before the loader is imported, the call lands in a task of its own and the download
 * overlaps the loader's.
 */
export function fetchCore(url: string): Promise<Response> {
  return fetch(url, { credentials: 'same-origin' });
}

export function instantiateCore(
  response: Promise<Response>,
  url: string,
  imports: WebAssembly.Imports,
): Promise<WebAssembly.WebAssemblyInstantiatedSource> {
  return response.then(async (fetched) => {
    // The response is often in before the loader's factory has returned; what
    // instantiateStreaming does on the calling thread (12-20 ms in the same traces) goes in
    // a task of its own rather than the factory's.
    await yieldToPage();
    if (!fetched.ok) throw new Error(`threadbank could not load its core from ${url}: HTTP ${fetched.status} ${fetched.statusText}`);
    return WebAssembly.instantiateStreaming(fetched, imports).catch(async (error: unknown) => {
      // A server that sends .wasm without the application/wasm type fails streaming with a
      // TypeError; compile from the bytes instead, as Emscripten's own loader does.
      if (!(error instanceof TypeError)) throw error;
      const bytes = await (await fetchCore(url)).arrayBuffer();
      return WebAssembly.instantiate(bytes, imports);
    });
  });
}
