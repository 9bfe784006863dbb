import { describe, expect, it } from 'vitest';

import { isThreadbankError, ThreadbankError, type ManagerEvent } from '../../dist/cjs/index.js';
import { backends } from './backends.js';

const never = () => new Promise(() => {});

/** The backends with a test mode, its factory no longer optional. */
const withTestMode = backends.flatMap((b) => (b.createTestManager ? [{ ...b, createTestManager: b.createTestManager }] : []));

describe.each(withTestMode)('test mode ($name)', (backend) => {
  it('runs handlers in-process over the same core', async () => {
    const manager = await backend.createTestManager({
      banks: [{ bankId: 'math', handlers: { add: ({ a, b }: { a: number; b: number }) => ({ result: a + b }) } }],
    });
    await expect(manager.submitRequest('add', { a: 2, b: 3 })).resolves.toEqual({ result: 5 });
    expect(manager.getSystemMetrics().completedRequests).toBe(1);
    await manager.shutdown();
  });

  it("times handlers on the manual clock, so a bank's prefetch window does not depend on the machine", async () => {
    // Each handler spends 2 ms of real time: timed by the real clock that would close the
    // window (nothing held beyond the running attempt); on the test's clock it took no time.
    const busy = () => {
      const until = performance.now() + 2;
      while (performance.now() < until);
      return 'done';
    };
    const manager = await backend.createTestManager({ banks: [{ bankId: 'busy', handlers: { busy } }] });
    await Promise.all(Array.from({ length: 10 }, () => manager.submitRequest('busy')));
    expect(manager.getWorkerStatus()[0]!.capacity).toBe(65);
    await manager.shutdown();
  });

  it('keeps the lifecycle steps stamped at clock 0, where the manual clock starts', async () => {
    const manager = await backend.createTestManager({
      banks: [{ bankId: 'math', handlers: { add: ({ a, b }: { a: number; b: number }) => ({ result: a + b }) } }],
    });
    expect(manager.now()).toBe(0);
    await manager.submitRequest('add', { a: 2, b: 3 });
    const [life] = manager.queryRequests({ taskId: 'add' }).items;
    expect(life?.timestamps).toEqual({ pending: 0, assigned: 0, processing: 0, completed: 0 });
    expect(life?.finishedAt).toBe(0);
    await manager.shutdown();
  });

  it('serves tasks from a requestReducer', async () => {
    const manager = await backend.createTestManager({
      tasks: ['add-numbers'],
      requestReducer: (taskId, params) => ({ taskId, sum: (params as { a: number }).a + 1 }),
    });
    await expect(manager.submitRequest('add-numbers', { a: 1 })).resolves.toEqual({ taskId: 'add-numbers', sum: 2 });
    await manager.shutdown();
  });

  it('times out only when the test advances the clock', async () => {
    const manager = await backend.createTestManager({ startTime: 1_000_000, banks: [{ bankId: 'b', handlers: { hang: never } }] });
    let settled = false;
    const request = manager.submitRequest('hang', {}, { timeout: 5_000 }).catch((e: { code: string }) => {
      settled = true;
      return e.code;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    manager.advanceTime(4_999);
    await Promise.resolve();
    expect(settled).toBe(false);
    manager.advanceTime(1);
    await expect(request).resolves.toBe('E_TIMEOUT');
    expect(manager.now()).toBe(1_005_000);
    await manager.shutdown({ drain: false });
  });

  it('retries with exponential backoff measured on the manual clock', async () => {
    let calls = 0;
    const manager = await backend.createTestManager({
      retryBaseMs: 100,
      banks: [
        {
          bankId: 'b',
          manifest: { name: 'b', actions: [{ actionId: 'flaky', retryable: true }] },
          handlers: {
            flaky: () => {
              calls++;
              if (calls < 3) throw new Error('not yet');
              return { calls };
            },
          },
        },
      ],
    });
    const retried: ManagerEvent[] = [];
    manager.on('request-retried', (e) => retried.push(e));
    const result = manager.submitRequest('flaky', {});
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(calls).toBe(1);
    manager.advanceTime(99);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(calls).toBe(1); // first retry waits 100 ms
    manager.advanceTime(1);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(calls).toBe(2);
    manager.advanceTime(199);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(calls).toBe(2); // second retry waits 200 ms
    manager.advanceTime(1);
    await expect(result).resolves.toEqual({ calls: 3 });
    expect(retried).toHaveLength(2);
    const [first, second] = retried;
    expect(second!.timestamp - first!.timestamp).toBe(100);
    await manager.shutdown();
  });

  it('refuses advanceTime outside test mode', async () => {
    const manager = await backend.createWorkerManager({ banks: [{ bankId: 'n', builtin: 'basic' }] });
    expect(() => manager.advanceTime(10)).toThrowError(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }));
    await manager.shutdown();
  });
});

describe.each(withTestMode)('test mode with worker script modules ($name)', (backend) => {
  it('imports a worker script in-process and runs its handlers', async () => {
    const manager = await backend.createTestManager({
      banks: [{ bankId: 'math', script: backend.fixture('math'), workerCount: 2 }],
    });
    await expect(manager.submitRequest('add', { a: 20, b: 22 })).resolves.toEqual({ result: 42 });
    expect(manager.getWorkerStatus()).toHaveLength(2);
    await manager.shutdown();
  });

  it("rejects a script whose defineWorker() throws, with an error that is a ThreadbankError by instanceof", async () => {
    // The script's threadbank/worker is a separate ES module build: its ThreadbankError is
    // another class, which `instanceof` must still accept (BRAND in js/src/errors.ts).
    const error = await backend.createTestManager({ banks: [{ bankId: 'x', script: backend.fixture('bad-handlers') }] }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_INVALID_ARGUMENT', message: expect.stringContaining('Expected a function for handler "add"') });
    expect(error instanceof ThreadbankError).toBe(true);
    expect(isThreadbankError(error)).toBe(true);
    expect(new Error('x') instanceof ThreadbankError).toBe(false);
  });

  it('rejects a module that never calls defineWorker', async () => {
    await expect(
      backend.createTestManager({ banks: [{ bankId: 'x', script: backend.fixture('not-a-worker') }] }),
    ).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
  });
});
