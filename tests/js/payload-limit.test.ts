// maxPayloadBytes measures what is sent: the params' JSON text, holes included, read once,
// and refused before anything large is built (docs/guarantees.md).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ThreadbankError, type WorkerManager } from '../../dist/cjs/index.js';
import { backends } from './backends.js';

const LIMIT = 1_000;

describe.each(backends)('maxPayloadBytes ($name)', (backend) => {
  let native: WorkerManager;
  let script: WorkerManager;
  beforeAll(async () => {
    native = await backend.createWorkerManager({ maxPayloadBytes: LIMIT, banks: [{ bankId: 'native', builtin: 'basic', workerCount: 1 }] });
    script = await backend.createWorkerManager({ maxPayloadBytes: LIMIT, banks: [{ bankId: 'math', script: backend.fixture('math'), workerCount: 1 }] });
  });
  afterAll(() => Promise.all([native?.shutdown(), script?.shutdown()]));

  const refusal = async (request: Promise<unknown>) => {
    const error = (await request.catch((e: unknown) => e)) as ThreadbankError;
    expect(error).toBeInstanceOf(ThreadbankError);
    return error.code;
  };

  it('counts the params as their JSON text: at the limit is taken, one more is refused', async () => {
    // Digits are one character each in JSON text: the count is the text's length.
    const digits = (n: number) => ({ list: Array.from({ length: n }, () => 7) });
    const fits = digits((LIMIT - '{"list":[]}'.length + 1) / 2);
    expect(JSON.stringify(fits).length).toBe(LIMIT);
    await expect(native.submitRequest('echo', fits)).resolves.toEqual(fits);
    const over = { ...fits, x: 1 };
    expect(JSON.stringify(over).length).toBeGreaterThan(LIMIT);
    expect(await refusal(native.submitRequest('echo', over))).toBe('E_PAYLOAD_TOO_LARGE');
    expect(await refusal(script.submitRequest('whoami', over))).toBe('E_PAYLOAD_TOO_LARGE');
  });

  it('counts the holes of a sparse array, which JSON sends as null', async () => {
    const sparse: unknown[] = [];
    sparse.length = 5e6;
    sparse[0] = 1;
    const reads = { count: 0 };
    // The last slot counts its reads: the walk stops long before it.
    Object.defineProperty(sparse, sparse.length - 1, {
      enumerable: true,
      get() {
        reads.count++;
        return 1;
      },
    });
    expect(await refusal(native.submitRequest('echo', { list: sparse }))).toBe('E_PAYLOAD_TOO_LARGE');
    expect(await refusal(script.submitRequest('whoami', { list: sparse }))).toBe('E_PAYLOAD_TOO_LARGE');
    expect(reads.count).toBe(0);
    const holes: unknown[] = [];
    holes.length = 300; // 300 nulls: 1,200 characters and more
    expect(await refusal(script.submitRequest('whoami', holes))).toBe('E_PAYLOAD_TOO_LARGE');
  });

  it('reads a getter once: the value measured is the value sent', async () => {
    const counting = () => {
      const state = { reads: 0 };
      const params = {
        b: 2,
        get a(): unknown {
          state.reads++;
          // Small when first read, over the limit if read again.
          return state.reads === 1 ? 1 : 'x'.repeat(5 * LIMIT);
        },
      };
      return { state, params };
    };
    const forScript = counting();
    await expect(script.submitRequest('add', forScript.params)).resolves.toEqual({ result: 3 });
    expect(forScript.state.reads).toBe(1);
    const forNative = counting();
    await expect(native.submitRequest('add', forNative.params)).resolves.toEqual({ result: 3 });
    expect(forNative.state.reads).toBe(1);
    const echoed = counting();
    await expect(native.submitRequest('echo', echoed.params)).resolves.toEqual({ a: 1, b: 2 });
    expect(echoed.state.reads).toBe(1);
  });
});
