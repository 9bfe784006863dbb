import { afterEach, describe, expect, it } from 'vitest';

import type { ManagerEvent, ThreadbankError, WorkerManager } from '../../dist/cjs/index.js';
import { backends } from './backends.js';

describe.each(backends)('lifecycle on a native bank ($name)', (backend) => {
  let manager: WorkerManager | undefined;
  afterEach(async () => {
    await manager?.shutdown({ drain: false });
    manager = undefined;
  });

  it('runs higher priorities first and FIFO within a priority', async () => {
    manager = await backend.createWorkerManager({ banks: [{ bankId: 'n', builtin: 'basic', workerCount: 1 }] });
    const order: number[] = [];
    const blocker = manager.submitRequest('sleep', { ms: 50 });
    const submitted = [2, 9, 5, 9, 2].map((priority, i) =>
      manager!.submitRequest('echo', { i }, { priority }).then((r) => order.push((r as { i: number }).i)),
    );
    await Promise.all([blocker, ...submitted]);
    expect(order).toEqual([1, 3, 2, 0, 4]);
  });

  // Without threads a native handler runs on the JS thread; nothing can stop it mid-way.
  it.skipIf(!backend.nativeThreads)('times out an attempt with E_TIMEOUT and records it', async () => {
    manager = await backend.createWorkerManager({ banks: [{ bankId: 'n', builtin: 'basic', workerCount: 1 }] });
    const error = await manager.submitRequest('sleep', { ms: 5_000 }, { timeout: 30 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_TIMEOUT' });
    const id = (error as { requestId: number }).requestId;
    expect(manager.getRequestLifecycle(id)?.status).toBe('timed-out');
    // The native handler sees cancelled() and frees its thread promptly.
    await expect(manager.submitRequest('add', { a: 1, b: 1 })).resolves.toEqual({ result: 2 });
  });

  it('retries a retryable action and reports each retry', async () => {
    manager = await backend.createWorkerManager({ banks: [{ bankId: 'n', builtin: 'basic' }], retryBaseMs: 1 });
    const retried: ManagerEvent[] = [];
    manager.on('request-retried', (e) => retried.push(e));
    const error = await manager.submitRequest('fail', { message: 'nope' }, { retries: 3 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_HANDLER' });
    const id = (error as { requestId: number }).requestId;
    expect(manager.getRequestLifecycle(id)?.attempts).toBe(4);
    expect(retried.filter((e) => e.requestId === id)).toHaveLength(3);
    expect(manager.getSystemMetrics().retries).toBe(3);
  });

  it('cancels a queued request through its AbortSignal', async () => {
    manager = await backend.createWorkerManager({ banks: [{ bankId: 'n', builtin: 'basic', workerCount: 1 }] });
    const blocker = manager.submitRequest('sleep', { ms: 50 });
    const controller = new AbortController();
    const queued = manager.submitRequest('add', { a: 1, b: 2 }, { signal: controller.signal });
    controller.abort();
    await expect(queued).rejects.toMatchObject({ code: 'E_CANCELLED' });
    await blocker;
  });

  it.skipIf(!backend.nativeThreads)('cancels a running native request and its handler stops', async () => {
    manager = await backend.createWorkerManager({ banks: [{ bankId: 'n', builtin: 'basic', workerCount: 1 }] });
    const controller = new AbortController();
    const started = Date.now();
    const running = manager.submitRequest('sleep', { ms: 5_000 }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(running).rejects.toMatchObject({ code: 'E_CANCELLED' });
    await expect(manager.submitRequest('add', { a: 2, b: 2 })).resolves.toEqual({ result: 4 });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('rejects at once when the signal is already aborted, and submits nothing', async () => {
    manager = await backend.createWorkerManager({ banks: [{ bankId: 'n', builtin: 'basic' }] });
    await expect(manager.submitRequest('add', { a: 1, b: 2 }, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'E_CANCELLED' });
    expect(manager.getSystemMetrics().totalRequests).toBe(0);
  });

  // Submissions of one turn reach the core together (js/src/submit-batch.ts).
  it('takes what one turn submitted in order, refusing only the bad ones, each with its own error', async () => {
    manager = await backend.createWorkerManager({ banks: [{ bankId: 'n', builtin: 'basic', workerCount: 1 }] });
    const order: number[] = [];
    const echo = (i: number) => manager!.submitRequest('echo', { i }).then((r) => (order.push((r as { i: number }).i), r));
    const results = await Promise.allSettled([
      echo(0),
      manager.submitRequest('nope', {}),
      manager.submitRequest('add', { a: 1 }),
      echo(1),
      manager.submitRequest('echo', { bad: () => 1 }),
      manager.submitRequest('echo', {}, { bankId: 'elsewhere' }),
      echo(2),
    ]);
    const outcome = results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as { code: string }).code));
    expect(outcome).toEqual([{ i: 0 }, 'E_UNKNOWN_TASK', 'E_INVALID_PARAMS', { i: 1 }, 'E_INVALID_PARAMS', 'E_UNKNOWN_BANK', { i: 2 }]);
    expect(order).toEqual([0, 1, 2]);
    const metrics = manager.getSystemMetrics();
    expect(metrics.totalRequests).toBe(3);
    expect(metrics.completedRequests).toBe(3);
  });

  it('shows a submission to whatever is asked after it, and drains it at a shutdown in the same turn', async () => {
    manager = await backend.createWorkerManager({ banks: [{ bankId: 'n', builtin: 'basic', workerCount: 1 }] });
    const sum = manager.submitRequest('add', { a: 2, b: 3 });
    expect(manager.getSystemMetrics().totalRequests).toBe(1);
    expect(manager.queryRequests({}).items.map((r) => r.taskId)).toEqual(['add']);
    const later = manager.submitRequest('add', { a: 4, b: 5 });
    const closing = manager.shutdown();
    await expect(sum).resolves.toEqual({ result: 5 });
    await expect(later).resolves.toEqual({ result: 9 });
    await closing;
    await expect(manager.submitRequest('add', { a: 1, b: 1 })).rejects.toMatchObject({ code: 'E_SHUTTING_DOWN' });
  });

  it('emits lifecycle events in order for one request', async () => {
    manager = await backend.createWorkerManager({ banks: [{ bankId: 'n', builtin: 'basic' }] });
    const seen: string[] = [];
    for (const name of ['request-submitted', 'request-assigned', 'request-started', 'request-completed'] as const) {
      manager.on(name, (e) => seen.push(`${e.type}:${e.requestId}`));
    }
    await manager.submitRequest('add', { a: 1, b: 2 }, { metadata: { tag: 'x' } });
    expect(seen).toEqual(['request-submitted:1', 'request-assigned:1', 'request-started:1', 'request-completed:1']);
  });

  it('fails fast with E_QUEUE_FULL at maxQueue and fires queue-drain when there is room', async () => {
    manager = await backend.createWorkerManager({ banks: [{ bankId: 'n', builtin: 'basic', workerCount: 1 }], maxQueue: 3 });
    let drained = 0;
    manager.on('queue-drain', () => drained++);
    manager.pauseBank('n');
    const queued = [1, 2, 3].map((a) => manager!.submitRequest('add', { a, b: 0 }));
    await expect(manager.submitRequest('add', { a: 9, b: 0 })).rejects.toMatchObject({ code: 'E_QUEUE_FULL' });
    manager.resumeBank('n');
    await Promise.all(queued);
    expect(drained).toBe(1);
  });

  it('keeps a bounded history and answers queries over it', async () => {
    manager = await backend.createWorkerManager({ banks: [{ bankId: 'n', builtin: 'basic' }], historyLimit: 5 });
    for (let i = 0; i < 12; i++) await manager.submitRequest('add', { a: i, b: 0 }, { clientId: i % 2 ? 'odd' : 'even', priority: i % 11 });
    const all = manager.queryRequests({ pagination: { limit: 100 } });
    expect(all.total).toBe(5);
    const odd = manager.queryRequests({ clientId: 'odd', status: ['completed'] });
    expect(odd.items.every((r) => r.clientId === 'odd' && r.status === 'completed')).toBe(true);
    const sorted = manager.queryRequests({ pagination: { sortBy: 'priority', sortOrder: 'desc' } }).items.map((r) => r.priority);
    expect(sorted).toEqual([...sorted].sort((a, b) => b - a));
    expect(manager.getSystemMetrics().storedRequests).toBe(5);
  });

  it('refuses a query with a key it does not know rather than answer without that filter', async () => {
    manager = await backend.createWorkerManager({ banks: [{ bankId: 'n', builtin: 'basic' }] });
    await manager.submitRequest('add', { a: 1, b: 2 });
    const refused = (query: unknown) => {
      try {
        manager!.queryRequests(query);
      } catch (error) {
        return error as ThreadbankError;
      }
      throw new Error(`expected ${JSON.stringify(query)} to be refused`);
    };
    expect(refused({ statuses: ['failed'] })).toMatchObject({ code: 'E_INVALID_ARGUMENT', message: expect.stringMatching(/keys among status, priorityRange.* for query but received .*statuses/) });
    expect(refused({ pagination: { limt: 1 } })).toMatchObject({ code: 'E_INVALID_ARGUMENT', message: expect.stringContaining('limt') });
    expect(refused({ priorityRange: { minimum: 3 } })).toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    expect(refused({ dateRange: { since: 0 } })).toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    expect(refused({ pagination: 5 })).toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    expect(manager.queryRequests({ status: ['failed'] }).total).toBe(0);
  });
});

describe.each(backends.filter((b) => !b.nativeThreads))('native actions without threads ($name)', (backend) => {
  it('runs them between event-loop tasks and applies a timeout when the action returns', async () => {
    const manager = await backend.createWorkerManager({ banks: [{ bankId: 'n', builtin: 'basic', workerCount: 1 }] });
    const results = await Promise.all(Array.from({ length: 300 }, (_, i) => manager.submitRequest('add', { a: i, b: 0 })));
    expect(results[299]).toEqual({ result: 299 });
    await expect(manager.submitRequest('sleep', { ms: 60 }, { timeout: 10 })).rejects.toMatchObject({ code: 'E_TIMEOUT' });
    await manager.shutdown();
  });
});

describe.each(backends)('waiting for room in a full queue ($name)', (backend) => {
  it("holds submissions in order with queueFullBehavior 'wait' and runs them when there is room", async () => {
    const manager = await backend.createWorkerManager({
      banks: [{ bankId: 'n', builtin: 'basic', workerCount: 1 }],
      maxQueue: 2,
      queueFullBehavior: 'wait',
    });
    manager.pauseBank('n');
    const order: number[] = [];
    const all = Array.from({ length: 8 }, (_, i) => manager.submitRequest('echo', { i }).then(() => order.push(i)));
    expect(manager.getSystemMetrics().queueDepth).toBe(2);
    // The core holds the rest, accepted, in order: they are requests with ids already.
    expect(manager.getSystemMetrics().waitingForRoom).toBe(6);
    expect(manager.queryRequests({ status: ['pending'] }).total).toBe(8);
    const controller = new AbortController();
    const aborted = manager.submitRequest('echo', { i: 99 }, { signal: controller.signal });
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ code: 'E_CANCELLED' });
    manager.resumeBank('n');
    await Promise.all(all);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const metrics = manager.getSystemMetrics();
    expect(metrics.rejectedRequests).toBe(0);
    expect(metrics.waitingForRoom).toBe(0);
    expect(metrics.cancelledRequests).toBe(1);
    await manager.shutdown();
  });

  it('moves thousands of waiting requests into the queue one by one as room frees, and cancels any of them at once', async () => {
    const manager = await backend.createWorkerManager({ banks: [{ bankId: 'n', builtin: 'basic', workerCount: 1 }], maxQueue: 5, queueFullBehavior: 'wait' });
    manager.pauseBank('n');
    const total = 4_000;
    const order: number[] = [];
    const controller = new AbortController();
    const all = Array.from({ length: total }, (_, i) =>
      manager.submitRequest('echo', { i }, i === total - 1 ? { signal: controller.signal } : {}).then(
        () => order.push(i),
        (error: { code: string }) => error.code,
      ),
    );
    expect(manager.getSystemMetrics().waitingForRoom).toBe(total - 5);
    // The last one waits behind 3,994 others; cancelling it does not wait for them.
    controller.abort();
    expect(await all[total - 1]).toBe('E_CANCELLED');
    expect(manager.getSystemMetrics().waitingForRoom).toBe(total - 6);
    manager.resumeBank('n');
    await Promise.all(all);
    expect(order).toEqual(Array.from({ length: total - 1 }, (_, i) => i));
    await manager.shutdown();
  });

  it('fails waiting submissions with E_SHUTTING_DOWN at shutdown', async () => {
    const manager = await backend.createWorkerManager({ banks: [{ bankId: 'n', builtin: 'basic' }], maxQueue: 1, queueFullBehavior: 'wait' });
    manager.pauseBank('n');
    const first = manager.submitRequest('echo', {}).catch((e: { code: string }) => e.code);
    const waiting = manager.submitRequest('echo', {}).catch((e: { code: string }) => e.code);
    await manager.shutdown({ drain: false });
    expect(await waiting).toBe('E_SHUTTING_DOWN');
    expect(await first).toBe('E_SHUTTING_DOWN');
  });
});

// Node: the test blocks its own thread on shared memory, which a page's main thread may not.
describe.each(backends.filter((b) => b.platform === 'node'))('a long synchronous run of submits ($name)', (backend) => {
  it('gives script workers their first requests before the run ends', async () => {
    const manager = await backend.createWorkerManager({ maxQueue: 10_000, banks: [{ bankId: 'math', script: backend.fixture('math'), workerCount: 2 }] });
    try {
      const flag = new SharedArrayBuffer(4);
      const results: Promise<unknown>[] = [];
      // Two slices' worth (submitRequest hands the core 1,024 at a time).
      for (let i = 0; i < 2_100; i++) results.push(manager.submitRequest('signal', { flag }));
      // Still inside the same synchronous run: no flush has happened, no event-loop turn.
      // A worker can only have run one if it was posted its requests from the run itself.
      expect(Atomics.wait(new Int32Array(flag), 0, 0, 10_000)).not.toBe('timed-out');
      await Promise.all(results);
    } finally {
      await manager.shutdown();
    }
  });
});
