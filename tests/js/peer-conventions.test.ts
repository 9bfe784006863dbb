// What users of piscina, poolifier and Node's EventEmitter expect to find: await using,
// once(), transferList, the request id without giving up the one promise, and a finished
// request's result read back later. Written once over the backends.
import { afterEach, describe, expect, it } from 'vitest';

import type { ManagerEvent, RequestResult, WorkerManager } from '../../dist/cjs/index.js';
import { backends } from './backends.js';

describe.each(backends)('peer conventions ($name)', (backend) => {
  let manager: WorkerManager | undefined;
  afterEach(async () => {
    await manager?.shutdown({ drain: false });
    manager = undefined;
  });
  const native = () => backend.createWorkerManager({ banks: [{ bankId: 'n', builtin: 'basic', workerCount: 1 }], keepResults: true, historyLimit: 3 });

  it('Symbol.asyncDispose shuts the manager down, running what was submitted first', async () => {
    const disposable = await backend.createWorkerManager({ banks: [{ bankId: 'n', builtin: 'basic' }] });
    const pending = disposable.submitRequest('add', { a: 1, b: 2 });
    await disposable[Symbol.asyncDispose]();
    await expect(pending).resolves.toEqual({ result: 3 });
    await expect(disposable.submitRequest('add', { a: 1, b: 2 })).rejects.toMatchObject({ code: 'E_SHUTTING_DOWN' });
  });

  it('once(event) resolves with the next event; once(event, listener) calls it once', async () => {
    manager = await native();
    const next = manager.once('request-completed');
    const seen: number[] = [];
    manager.once('request-completed', (event) => seen.push(event.requestId!));
    let first = 0;
    await manager.submitRequest('add', { a: 1, b: 1 }, { onAccepted: (id) => (first = id) });
    await manager.submitRequest('add', { a: 2, b: 2 });
    expect(await next).toMatchObject({ type: 'request-completed', requestId: first });
    expect(seen).toEqual([first]);
  });

  it('off() removes a once() listener by the function given', async () => {
    manager = await native();
    const seen: ManagerEvent[] = [];
    const listener = (event: ManagerEvent) => seen.push(event);
    manager.once('request-completed', listener).off('request-completed', listener);
    await manager.submitRequest('add', { a: 1, b: 1 });
    expect(seen).toEqual([]);
  });

  // node:events' once() takes any object with on/once/removeListener; it also listens for
  // 'error', which the manager accepts and never emits.
  it.skipIf(backend.platform !== 'node')('works with node:events once()', async () => {
    manager = await native();
    // A specifier the browser build's bundler does not try to resolve (this test is skipped there).
    const events = (await import(/* @vite-ignore */ ['node', 'events'].join(':'))) as typeof import('node:events');
    const next = events.once(manager as unknown as import('node:events').EventEmitter, 'request-completed');
    await manager.submitRequest('add', { a: 1, b: 1 });
    const [event] = (await next) as [ManagerEvent];
    expect(event.type).toBe('request-completed');
  });

  it('onAccepted gives the request id before the promise settles, and it can cancel', async () => {
    manager = await native();
    const blocker = manager.submitRequest('sleep', { ms: 50 });
    let id: number | undefined;
    const queued = manager.submitRequest('add', { a: 1, b: 2 }, { onAccepted: (requestId) => (id = requestId) });
    // Called when the batch reaches the core: at the end of this turn, or at the next call.
    expect(id).toBeUndefined();
    expect(manager.getRequest(-1)).toBeUndefined();
    expect(id).toBeGreaterThan(0);
    expect(manager.getRequest(id!)?.status).toBe('pending');
    expect(manager.cancelRequest(id!)).toBe(true);
    await expect(queued).rejects.toMatchObject({ code: 'E_CANCELLED', requestId: id });
    await blocker;
  });

  it('onAccepted is not called for a submission the core refuses', async () => {
    manager = await native();
    let called = false;
    await expect(manager.submitRequest('no-such-task', {}, { onAccepted: () => (called = true) })).rejects.toMatchObject({ code: 'E_UNKNOWN_TASK' });
    expect(called).toBe(false);
  });

  it('getResult keeps finished outcomes exactly while getRequest keeps their records', async () => {
    manager = await native();
    const ids: number[] = [];
    const onAccepted = (id: number) => ids.push(id);
    await manager.submitRequest('add', { a: 1, b: 2 }, { onAccepted });
    await manager.submitRequest('fail', { message: 'nope' }, { onAccepted, retries: 0 }).catch(() => undefined);
    expect(manager.getResult(ids[0]!)).toEqual({ requestId: ids[0], status: 'completed', value: { result: 3 } });
    const failed = manager.getResult(ids[1]!) as Extract<RequestResult, { status: 'failed' }>;
    expect(failed.status).toBe('failed');
    expect(failed.error.code).toBe('E_HANDLER');
    // historyLimit 3: two more push the first out of the history, and out of getResult.
    await manager.submitRequest('add', { a: 2, b: 2 }, { onAccepted });
    await manager.submitRequest('add', { a: 3, b: 3 }, { onAccepted });
    expect(manager.getRequest(ids[0]!)).toBeUndefined();
    expect(manager.getResult(ids[0]!)).toBeUndefined();
    expect(manager.getResult(ids[3]!)).toMatchObject({ status: 'completed', value: { result: 6 } });
  });

  it('getResult needs keepResults', async () => {
    manager = await backend.createWorkerManager({ banks: [{ bankId: 'n', builtin: 'basic' }] });
    expect(() => manager!.getResult(1)).toThrow(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }));
  });

  it('transferList is an alias of transfer; both at once are refused', async () => {
    manager = await backend.createWorkerManager({ banks: [{ bankId: 'math', script: backend.fixture('math') }] });
    const buffer = new Float64Array([1, 2]).buffer;
    const result = (await manager.submitRequest('double', { buffer }, { transferList: [buffer] })) as { buffer: ArrayBuffer };
    expect(buffer.byteLength).toBe(0); // moved, not copied
    expect([...new Float64Array(result.buffer)]).toEqual([2, 4]);
    const other = new ArrayBuffer(8);
    await expect(manager.submitRequest('double', { buffer: other }, { transfer: [other], transferList: [other] })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    await expect(manager.submitRequest('add', { a: 1, b: 1 }, { onAccepted: 1 as never })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
  });

  it('bank(id) submits to that bank only, and refuses another bankId', async () => {
    manager = await backend.createWorkerManager({ banks: [{ bankId: 'math', script: backend.fixture('math') }, { bankId: 'n', builtin: 'basic' }] });
    const math = manager.bank('math');
    let id = 0;
    await expect(math.submit('add', { a: 1, b: 2 }, { onAccepted: (requestId) => (id = requestId) })).resolves.toEqual({ result: 3 });
    expect(manager.getRequest(id)?.bankId).toBe('math');
    await expect(manager.bank('n').submit('double', { buffer: new ArrayBuffer(8) })).rejects.toMatchObject({ code: 'E_UNKNOWN_TASK' });
    await expect(math.submit('add', { a: 1, b: 2 }, { bankId: 'n' } as never)).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    expect(() => manager!.bank('' as string)).toThrow(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }));
  });
});
