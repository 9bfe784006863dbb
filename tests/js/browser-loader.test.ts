// How the browser loader takes the core's .wasm (js/src/browser/instantiate.ts): from the
// response's bytes, with a ThreadbankError that names the URL when it cannot. Runs in Node,
// which has the same fetch Response and WebAssembly.
import { describe, expect, it } from 'vitest';

import { instantiateCore } from '../../dist/browser/browser/instantiate.js';

const URL_OF_CORE = 'https://example.test/assets/threadbank-web.wasm';
/** The smallest valid module: the magic number and version 1, nothing else. */
const EMPTY_MODULE = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

describe('the browser loader instantiates the core from the fetched bytes', () => {
  it('instantiates whatever Content-Type the server gave the .wasm', async () => {
    const response = new Response(EMPTY_MODULE, { headers: { 'Content-Type': 'application/octet-stream' } });
    const source = await instantiateCore(Promise.resolve(response), URL_OF_CORE, {});
    expect(source.instance).toBeInstanceOf(WebAssembly.Instance);
    expect(source.module).toBeInstanceOf(WebAssembly.Module);
  });

  it('fails with E_INTERNAL naming the URL and the status when the server refuses', async () => {
    const response = new Response('not here', { status: 404, statusText: 'Not Found' });
    await expect(instantiateCore(Promise.resolve(response), URL_OF_CORE, {})).rejects.toMatchObject({
      code: 'E_INTERNAL',
      message: `Expected the threadbank core (WebAssembly) at ${URL_OF_CORE} but the server answered HTTP 404 Not Found`,
    });
  });

  it('fails with E_INTERNAL and the compile error as its cause when the bytes are not a module', async () => {
    const page = new Response('<!doctype html><title>app</title>', { headers: { 'Content-Type': 'text/html' } });
    const error = await instantiateCore(Promise.resolve(page), URL_OF_CORE, {}).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_INTERNAL' });
    expect((error as Error).message).toMatch(new RegExp(`^Expected the threadbank core \\(WebAssembly\\) at ${URL_OF_CORE.replace(/[.]/g, '\\.')} but it did not compile`));
    expect((error as Error).cause).toBeInstanceOf(WebAssembly.CompileError);
  });

  it('fails with E_INTERNAL when the download itself fails', async () => {
    const offline = Promise.reject(new TypeError('Failed to fetch'));
    await expect(instantiateCore(offline, URL_OF_CORE, {})).rejects.toMatchObject({
      code: 'E_INTERNAL',
      message: `Expected the threadbank core (WebAssembly) at ${URL_OF_CORE} but it could not be fetched (TypeError: Failed to fetch)`,
    });
  });
});
