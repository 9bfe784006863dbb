import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ThreadbankError, type WorkerManager } from '../../dist/cjs/index.js';
import { errorCodes } from './core-names.js';
import { backends } from './backends.js';

describe.each(backends)('errors and argument validation ($name)', (backend) => {
  let manager: WorkerManager;
  beforeAll(async () => {
    manager = await backend.createWorkerManager({ banks: [{ bankId: 'native', builtin: 'basic', workerCount: 1 }], maxPayloadBytes: 1_000 });
  });
  afterAll(() => manager.shutdown());

  const badOptions: [string, unknown][] = [
    ['negative priority', { priority: -1 }],
    ['fractional priority', { priority: 2.5 }],
    ['NaN priority', { priority: Number.NaN }],
    ['huge priority', { priority: 1e9 }],
    ['string priority', { priority: '5' }],
    ['negative timeout', { timeout: -5 }],
    ['NaN timeout', { timeout: Number.NaN }],
    ['huge timeout', { timeout: 1e20 }],
    ['negative retries', { retries: -1 }],
    ['fractional retries', { retries: 1.5 }],
    ['signal that is not an AbortSignal', { signal: {} }],
    ['clientId that is not a string', { clientId: 7 }],
    ['options that are not an object', 'fast'],
  ];
  it.each(badOptions)('rejects %s with E_INVALID_ARGUMENT', async (_name, options) => {
    const error = await manager.submitRequest('add', { a: 1, b: 2 }, options as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ThreadbankError);
    expect((error as ThreadbankError).code).toBe('E_INVALID_ARGUMENT');
    expect((error as ThreadbankError).message).toMatch(/Expected .* but received/);
  });

  it('refuses only the submits of a batch that cannot run, names with a NUL included', async () => {
    const settled = await Promise.allSettled([
      manager.submitRequest('add', { a: 1, b: 2 }),
      manager.submitRequest('ad\0d', { a: 1, b: 2 }),
      manager.submitRequest('add', { a: 1 }),
      manager.submitRequest('add', { a: 3, b: 4 }, { clientId: 'tenant\0a' }),
      manager.submitRequest('add', { a: 5, b: 6 }, { bankId: 'native' }),
    ]);
    expect(settled[0]).toEqual({ status: 'fulfilled', value: { result: 3 } });
    expect(settled[1]).toMatchObject({ status: 'rejected', reason: { code: 'E_UNKNOWN_TASK' } });
    expect(settled[2]).toMatchObject({ status: 'rejected', reason: { code: 'E_INVALID_PARAMS' } });
    expect(settled[3]).toEqual({ status: 'fulfilled', value: { result: 7 } });
    expect(settled[4]).toEqual({ status: 'fulfilled', value: { result: 11 } });
  });

  it('rejects params that miss a required field or have the wrong type with E_INVALID_PARAMS', async () => {
    await expect(manager.submitRequest('add', { a: 1 })).rejects.toMatchObject({ code: 'E_INVALID_PARAMS' });
    await expect(manager.submitRequest('add', { a: 1, b: 'two' })).rejects.toMatchObject({ code: 'E_INVALID_PARAMS' });
    await expect(manager.submitRequest('burn', { iterations: 1.5 })).rejects.toMatchObject({ code: 'E_INVALID_PARAMS' });
  });

  it("refuses the basic pack's numbers out of range at submit, queueing nothing", async () => {
    const before = manager.getSystemMetrics().totalRequests;
    await expect(manager.submitRequest('sleep', { ms: 1e300 })).rejects.toMatchObject({ code: 'E_INVALID_PARAMS' });
    await expect(manager.submitRequest('sleep', { ms: -1 })).rejects.toMatchObject({ code: 'E_INVALID_PARAMS' });
    await expect(manager.submitRequest('burn', { iterations: -1 })).rejects.toMatchObject({ code: 'E_INVALID_PARAMS' });
    expect(manager.getSystemMetrics().totalRequests).toBe(before);
    await expect(manager.submitRequest('sleep', { ms: 0 })).resolves.toEqual({ slept: 0 });
  });

  it('rejects params a native action cannot take: functions, symbols, cycles, prototype keys', async () => {
    const circular: Record<string, unknown> = { a: 1, b: 2 };
    circular.self = circular;
    await expect(manager.submitRequest('echo', { f: () => 1 })).rejects.toMatchObject({ code: 'E_INVALID_PARAMS' });
    await expect(manager.submitRequest('echo', { s: Symbol('x') })).rejects.toMatchObject({ code: 'E_INVALID_PARAMS' });
    await expect(manager.submitRequest('echo', circular)).rejects.toMatchObject({ code: 'E_INVALID_PARAMS' });
    await expect(manager.submitRequest('echo', JSON.parse('{"__proto__": {"polluted": true}}'))).rejects.toMatchObject({ code: 'E_INVALID_PARAMS' });
    await expect(manager.submitRequest('echo', { nested: JSON.parse('{"constructor": 1}') })).rejects.toMatchObject({ code: 'E_INVALID_PARAMS' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('names where in params the value that cannot cross sits', async () => {
    const error = (await manager.submitRequest('echo', { outer: { fn: () => 1 } }).catch((e: unknown) => e)) as ThreadbankError;
    expect(error.code).toBe('E_INVALID_PARAMS');
    // Checked in TypeScript before anything crosses (js/src/params-walk.ts): the whole path
    // on every backend.
    expect(error.message).toContain('expected JSON-compatible data for params but params.outer.fn is a function');
  });

  it('keeps long and non-ASCII param names whole', async () => {
    const params = {
      ['a'.repeat(126) + 'é']: 1,
      ['é'.repeat(64)]: 2,
      ['a'.repeat(125) + '€']: 3,
      ['x'.repeat(300)]: 4,
      ['名前']: 5,
    };
    await expect(manager.submitRequest('echo', params)).resolves.toEqual(params);
  });

  it('sends a native action the own enumerable fields of params, as JSON.stringify would', async () => {
    const params: Record<string, unknown> = { own: 1 };
    Object.defineProperty(params, 'hidden', { value: 2, enumerable: false });
    (params as Record<symbol, unknown>)[Symbol('tag')] = 3;
    const echoed = await manager.submitRequest('echo', params);
    expect(echoed).toEqual(JSON.parse(JSON.stringify(params)));
    expect(echoed).toEqual({ own: 1 });
  });

  // Plain data crosses to the core as JSON text (js/src/params-walk.ts, read back by
  // bindings/shared/json_text.cc); what a native action receives must not change with it.
  it('gives a native action plain data exactly: escapes, surrogate pairs, numbers, nesting', async () => {
    const params = {
      text: 'quote " backslash \\ slash / newline \n tab \t bell \u0007 nul \u0000 end',
      unicode: 'é 名前 😀 \u2028',
      ['key "with" \\ escapes 😀']: true,
      numbers: [0, -1, 1.5, -2.25, 1e21, 1e-7, 2 ** 53 - 1, -(2 ** 53), 2 ** 60, Number.MAX_VALUE, 5e-324, 123456789012345, 1234567890123456],
      notFinite: [NaN, Infinity, -Infinity],
      nested: { deep: [[[{ x: [] }]], {}], empty: '' },
      flags: [true, false, null],
      holes: [1, undefined, 3],
      skipped: undefined,
    };
    await expect(manager.submitRequest('echo', params)).resolves.toEqual(JSON.parse(JSON.stringify(params)));
    const deepest = { d: JSON.parse('['.repeat(64) + ']'.repeat(64)) }; // 64 levels below params
    await expect(manager.submitRequest('echo', deepest)).resolves.toEqual(deepest);
  });

  it('keeps what is not plain data crossing as before (the addon: bytes, own fields, U+FFFD)', async () => {
    if (backend.name !== 'node-addon') return; // the wasm builds encode params with JSON.stringify
    const echoed = (await manager.submitRequest('echo', {
      bytes: new Uint8Array([1, 2, 3]),
      when: new Date(0),
      lone: 'a\ud800b\udc00c',
      ['key\ud800']: 1,
    })) as Record<string, unknown>;
    expect([...(echoed.bytes as Uint8Array)]).toEqual([1, 2, 3]);
    expect(echoed.when).toEqual({});
    expect(echoed.lone).toBe('a\ufffdb\ufffdc');
    expect(echoed['key\ufffd']).toBe(1);
    // The same lone surrogates in plain data (the JSON text path) read the same way.
    await expect(manager.submitRequest('echo', { lone: 'a\ud800b\udc00c\ud83d', ['key\ud800']: 1 })).resolves.toEqual({
      lone: 'a\ufffdb\ufffdc\ufffd',
      ['key\ufffd']: 1,
    });
    await expect(manager.submitRequest('echo', { d: JSON.parse('['.repeat(65) + ']'.repeat(65)) })).rejects.toThrow(/nested deeper than 64 levels/);
  });

  it('rejects params that are not a plain object or an array, naming what they are', async () => {
    class Point {
      x = 1;
    }
    const error = (await manager.submitRequest('echo', new Point()).catch((e: unknown) => e)) as ThreadbankError;
    expect(error.code).toBe('E_INVALID_PARAMS');
    expect(error.message).toBe('Expected a plain object or an array for params of echo but received an instance of Point');
    await expect(manager.submitRequest('echo', Object.create({ inherited: 1 }))).rejects.toThrow(/received an object with a prototype other than Object\.prototype/);
  });

  it('rejects payloads over maxPayloadBytes with E_PAYLOAD_TOO_LARGE', async () => {
    await expect(manager.submitRequest('echo', { text: 'x'.repeat(2_000) })).rejects.toMatchObject({ code: 'E_PAYLOAD_TOO_LARGE' });
    await expect(manager.submitRequest('echo', { text: 'x'.repeat(100) })).resolves.toBeDefined();
  });

  it('fails a throwing native handler with E_HANDLER, the handler message and the request id', async () => {
    const error = (await manager.submitRequest('fail', { message: 'boom' }, { retries: 0 }).catch((e: unknown) => e)) as ThreadbankError;
    expect(error.code).toBe('E_HANDLER');
    expect(error.message).toContain('boom');
    expect(typeof error.requestId).toBe('number');
    expect(manager.getRequestLifecycle(error.requestId!)?.status).toBe('failed');
  });

  // Not async: in 'sync' mode its frame is in the stack; in 'async' mode only the async
  // functions that await its promise are.
  function failViaThen(target: WorkerManager): Promise<Error> {
    return target.submitRequest('fail', { message: 'later' }, { retries: 0 }).then(
      () => new Error('expected a rejection'),
      (e: unknown) => e as Error,
    );
  }

  it('points the rejection stack at the caller line (default: the awaiting async functions)', async () => {
    const error = (await manager.submitRequest('nope').catch((e: unknown) => e)) as Error;
    expect(error.stack).toContain('errors.test.ts');
    // A failure that comes back later, from the core's settlement, too: awaited directly,
    // through .catch, and through Promise.all.
    let awaited: unknown;
    try {
      await manager.submitRequest('fail', { message: 'later' }, { retries: 0 });
    } catch (e) {
      awaited = e;
    }
    const caught = (await manager.submitRequest('fail', { message: 'later' }, { retries: 0 }).catch((e: unknown) => e)) as Error;
    const all = (await Promise.all([manager.submitRequest('fail', { message: 'later' }, { retries: 0 })]).catch((e: unknown) => e)) as Error;
    for (const failed of [awaited as ThreadbankError, caught, all]) {
      expect(failed).toBeInstanceOf(ThreadbankError);
      expect((failed as ThreadbankError).code).toBe('E_HANDLER');
      expect(failed.stack).toMatch(/^ThreadbankError \[E_HANDLER\]: Request \d+ \(fail\) failed in its handler: later\n/);
      expect(failed.stack).toContain('errors.test.ts');
    }
    const viaThen = await failViaThen(manager);
    expect(viaThen.stack).toContain('errors.test.ts');
    expect(viaThen.stack).not.toContain('failViaThen');
  });

  it('keeps the stack where the error was made when nobody awaits the request', async () => {
    // A timer's callback, not an async function: there is no caller frame to take.
    const failed = await new Promise<Error>((resolve) => {
      setTimeout(() => {
        void manager.submitRequest('fail', { message: 'later' }, { retries: 0 }).catch((e: unknown) => resolve(e as Error));
      }, 0);
    });
    expect((failed as ThreadbankError).code).toBe('E_HANDLER');
    expect(failed.stack!.split('\n').filter((line) => line.trim().startsWith('at ')).length).toBeGreaterThan(0);
  });

  it("captures the caller's synchronous stack at submit with callerStacks: 'sync'", async () => {
    const exact = await backend.createWorkerManager({ banks: [{ bankId: 'native', builtin: 'basic', workerCount: 1 }], callerStacks: 'sync' });
    try {
      const failed = (await failViaThen(exact)) as ThreadbankError;
      expect(failed.code).toBe('E_HANDLER');
      expect(failed.stack).toContain('failViaThen');
    } finally {
      await exact.shutdown();
    }
  });

  it('keeps no caller stack with callerStacks: false, and still rejects with a code', async () => {
    const lean = await backend.createWorkerManager({ banks: [{ bankId: 'native', builtin: 'basic', workerCount: 1 }], callerStacks: false });
    try {
      const failed = (await lean.submitRequest('fail', { message: 'later' }, { retries: 0 }).catch((e: unknown) => e)) as ThreadbankError;
      expect(failed.code).toBe('E_HANDLER');
      expect(failed.stack).not.toContain('errors.test.ts');
    } finally {
      await lean.shutdown();
    }
    for (const bad of ['yes', true]) {
      await expect(backend.createWorkerManager({ callerStacks: bad as never })).rejects.toMatchObject({
        code: 'E_INVALID_ARGUMENT',
        message: expect.stringMatching(/^Expected 'async', 'sync' or false for options.callerStacks but received/),
      });
    }
  });

  it('rejects a bad manager configuration with E_INVALID_ARGUMENT', async () => {
    const bad: unknown[] = [
      { banks: [{ bankId: 'x', builtin: 'basic', workerCount: 0 }] },
      { banks: [{ bankId: 'x', builtin: 'basic', workerCount: -1 }] },
      { banks: [{ bankId: 'x', builtin: 'basic', workerCount: Number.NaN }] },
      { banks: [{ bankId: 'x', builtin: 'basic', workerCount: 1e6 }] },
      { banks: [{ bankId: '__proto__', builtin: 'basic' }] },
      { banks: [{ bankId: 'x' }] },
      { banks: [{ bankId: 'x', builtin: 'nope' }] },
      { banks: [{ bankId: 'x', builtin: 'basic', prefetch: 'lots' }] },
      { banks: [{ bankId: 'x', builtin: 'basic', prefetch: 65 }] },
      { maxQueue: -1 },
      { banks: 'all' },
    ];
    for (const options of bad) {
      await expect(backend.createWorkerManager(options as never)).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    }
  });

  it('rejects a duplicate bank id with E_DUPLICATE_BANK', async () => {
    await expect(
      backend.createWorkerManager({ banks: [{ bankId: 'x', builtin: 'basic' }, { bankId: 'x', builtin: 'basic' }] }),
    ).rejects.toMatchObject({ code: 'E_DUPLICATE_BANK' });
  });

  it('uses exactly the error codes the core defines', () => {
    const declared: ThreadbankError['code'][] = [
      'E_UNKNOWN_TASK', 'E_UNKNOWN_BANK', 'E_UNKNOWN_REQUEST', 'E_DUPLICATE_BANK', 'E_INVALID_PARAMS',
      'E_INVALID_MANIFEST', 'E_INVALID_ARGUMENT', 'E_QUEUE_FULL', 'E_TIMEOUT', 'E_CANCELLED',
      'E_WORKER_CRASHED', 'E_SHUTTING_DOWN', 'E_HANDLER', 'E_PAYLOAD_TOO_LARGE', 'E_INTERNAL',
    ];
    expect(errorCodes.filter((c) => c !== 'OK').sort()).toEqual([...declared].sort());
  });
});
