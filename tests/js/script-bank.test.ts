import { afterEach, describe, expect, it } from 'vitest';

import type { ManagerEvent, ThreadbankError, WorkerManager } from '../../dist/cjs/index.js';
import { backends } from './backends.js';

describe.each(backends)('script banks on worker threads ($name)', (backend) => {
  const math = backend.fixture('math');
  const faulty = backend.fixture('faulty');
  let manager: WorkerManager | undefined;
  afterEach(async () => {
    await manager?.shutdown({ drain: false });
    manager = undefined;
  });

  it('runs script actions in workers and resolves with their results', async () => {
    manager = await backend.createWorkerManager({ banks: [{ bankId: 'math', script: math, workerCount: 2 }] });
    // The bank takes requests from its first ready worker on; both are needed below.
    await expect.poll(() => manager!.getWorkerStatus().every((w) => w.alive)).toBe(true);
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => manager!.submitRequest('add', { a: i, b: 1 })));
    expect(results).toEqual(Array.from({ length: 200 }, (_, i) => ({ result: i + 1 })));
    const workers = manager.getWorkerStatus();
    expect(workers.map((w) => w.kind)).toEqual(['script', 'script']);
    expect(workers.every((w) => w.tasksCompleted > 0)).toBe(true);
    expect(manager.getBanks()[0]!.actions.sort()).toEqual(['add', 'double', 'signal', 'slowAdd', 'whoami']);
  });

  it('sizes the prefetch window from task durations by default: wide for tiny tasks, none for slow ones', async () => {
    manager = await backend.createWorkerManager({ banks: [{ bankId: 'math', script: math, workerCount: 1 }] });
    // Before any result only one extra attempt is handed over.
    expect(manager.getWorkerStatus()[0]!.capacity).toBe(2);
    // Opened: 65 when the handlers take microseconds. A handler stretched by a busy machine
    // narrows it for a while, so the widest seen over a few waves is what is checked.
    let widest = 0;
    for (let wave = 0; wave < 3; wave++) {
      await Promise.all(Array.from({ length: 100 }, (_, i) => manager!.submitRequest('add', { a: i, b: 1 })));
      widest = Math.max(widest, manager.getWorkerStatus()[0]!.capacity);
    }
    expect(widest).toBeGreaterThan(2);
    // Tasks of several milliseconds close it: the worker is handed only what it runs.
    await Promise.all(Array.from({ length: 40 }, () => manager!.submitRequest('slowAdd', { a: 1, b: 1, ms: 5 })));
    expect(manager.getWorkerStatus()[0]!.capacity).toBe(1);
  });

  it('gives handlers their request id, attempt and action', async () => {
    manager = await backend.createWorkerManager({ banks: [{ bankId: 'math', script: math }] });
    const seen = await manager.submitRequest('whoami', {});
    expect(seen).toMatchObject({ attempt: 1, action: 'whoami' });
  });

  it('posts each request with only its own transfer list when one of a batch cannot be sent', async () => {
    manager = await backend.createWorkerManager({ banks: [{ bankId: 'math', script: math }] });
    // A detached buffer cannot be cloned: the batch falls back to posting one by one.
    const detached = new ArrayBuffer(8);
    structuredClone(detached, { transfer: [detached] });
    const buffers = [1, 2, 3].map((n) => new Float64Array([n]).buffer);
    const [first, bad, ...rest] = await Promise.allSettled([
      manager.submitRequest('double', { buffer: buffers[0] }, { transfer: [buffers[0]!] }),
      manager.submitRequest('double', { buffer: detached }),
      manager.submitRequest('double', { buffer: buffers[1] }, { transfer: [buffers[1]!] }),
      manager.submitRequest('double', { buffer: buffers[2] }, { transfer: [buffers[2]!] }),
    ]);
    expect(bad).toMatchObject({ status: 'rejected', reason: { code: 'E_INVALID_PARAMS' } });
    for (const [i, outcome] of [first, ...rest].entries()) {
      expect(outcome.status).toBe('fulfilled');
      const { buffer } = (outcome as PromiseFulfilledResult<{ buffer: ArrayBuffer }>).value;
      expect([...new Float64Array(buffer)]).toEqual([(i + 1) * 2]);
    }
  });

  it('transfers buffers both ways instead of copying them', async () => {
    manager = await backend.createWorkerManager({ banks: [{ bankId: 'math', script: math }] });
    const buffer = new Float64Array([1, 2, 3]).buffer;
    const out = (await manager.submitRequest('double', { buffer }, { transfer: [buffer] })) as { buffer: ArrayBuffer };
    expect(buffer.byteLength).toBe(0); // moved to the worker
    expect([...new Float64Array(out.buffer)]).toEqual([2, 4, 6]);
  });

  it('fails a throwing handler with E_HANDLER and keeps its error as the cause', async () => {
    manager = await backend.createWorkerManager({ banks: [{ bankId: 'f', script: faulty }] });
    const error = (await manager.submitRequest('throws', { message: 'bad input' }).catch((e: unknown) => e)) as ThreadbankError;
    expect(error.code).toBe('E_HANDLER');
    expect((error.cause as { code?: string }).code).toBe('MY_CODE');
    const rejected = (await manager.submitRequest('rejects', { message: 'async bad' }).catch((e: unknown) => e)) as ThreadbankError;
    expect(rejected.code).toBe('E_HANDLER');
    expect((rejected.cause as Error).name).toBe('TypeError');
  });

  it('records failure messages exactly, one holding a NUL among others of the same batch', async () => {
    manager = await backend.createWorkerManager({ banks: [{ bankId: 'f', script: faulty, workerCount: 1 }] });
    const messages = ['before\0after', 'plain', ''];
    const settled = await Promise.allSettled([...messages.map((message) => manager.submitRequest('throws', { message })), manager.submitRequest('ok')]);
    expect(settled[3]).toEqual({ status: 'fulfilled', value: 'ok' });
    for (let i = 0; i < messages.length; i++) {
      const error = (settled[i] as PromiseRejectedResult).reason as ThreadbankError;
      expect(error.code).toBe('E_HANDLER');
      expect(manager.getRequestLifecycle(error.requestId!)?.errorMessage).toBe(messages[i]);
    }
  });

  it('fails a result that cannot be cloned with E_HANDLER and nothing else', async () => {
    manager = await backend.createWorkerManager({ banks: [{ bankId: 'f', script: faulty }] });
    const [bad, good] = await Promise.allSettled([manager.submitRequest('notCloneable'), manager.submitRequest('ok')]);
    expect(bad).toMatchObject({ status: 'rejected', reason: { code: 'E_HANDLER' } });
    expect(good).toEqual({ status: 'fulfilled', value: 'ok' });
  });

  it('rejects params that cannot be cloned with E_INVALID_PARAMS', async () => {
    manager = await backend.createWorkerManager({ banks: [{ bankId: 'f', script: faulty }] });
    await expect(manager.submitRequest('ok', { fn: () => 1 })).rejects.toMatchObject({ code: 'E_INVALID_PARAMS' });
    await expect(manager.submitRequest('ok', {})).resolves.toBe('ok');
  });

  it('keeps following what a worker runs after params that could not be cloned for it', async () => {
    manager = await backend.createWorkerManager({ banks: [{ bankId: 'math', script: math, workerCount: 1 }] });
    await expect(manager.submitRequest('add', { a: 1, b: 2, fn: () => 1 })).rejects.toMatchObject({ code: 'E_INVALID_PARAMS' });
    // The failed attempt never reached the worker: the next one is what it runs, and the
    // manager must see it start (a slot still holding the first would never report it).
    const slow = manager.submitRequest('slowAdd', { a: 1, b: 2, ms: 300 });
    await expect.poll(() => manager!.queryRequests({ status: ['processing'] }).items.map((item) => item.taskId)).toEqual(['slowAdd']);
    await expect(slow).resolves.toEqual({ result: 3 });
  });

  it.each([
    ['exits (process.exit, or an uncaught error in a Web Worker)', 'exit', { code: 3 }],
    ['leaves an unhandled rejection', 'unhandled', {}],
  ])('replaces a worker that %s and fails its request with E_WORKER_CRASHED', async (_what, action, params) => {
    manager = await backend.createWorkerManager({ banks: [{ bankId: 'f', script: faulty, workerCount: 1 }] });
    const statuses: ManagerEvent[] = [];
    manager.on('worker-status', (e) => statuses.push(e));
    await expect(manager.submitRequest(action, params, { retries: 0 })).rejects.toMatchObject({ code: 'E_WORKER_CRASHED' });
    await expect(manager.submitRequest('ok')).resolves.toBe('ok');
    expect(statuses.map((e) => e.state)).toContain('lost');
    expect(statuses.map((e) => e.state)).toContain('replaced');
    expect(manager.getWorkerStatus()[0]!.restarts).toBe(1);
  });

  it.each([
    ['crashes', { die: true }, 'E_WORKER_CRASHED'],
    ['hangs past its timeout', { hang: true }, 'E_TIMEOUT'],
  ])('fails only the request whose handler %s, not the neighbours it was batched with', async (_what, fault, code) => {
    // One worker holding several fast requests at once (prefetch): those before the faulty
    // one finished, but their results were still waiting to be sent when the worker died.
    manager = await backend.createWorkerManager({ banks: [{ bankId: 'f', script: faulty, workerCount: 1, prefetch: 16 }] });
    const faultAt = 6;
    const outcomes = await Promise.allSettled(
      Array.from({ length: 14 }, (_, i) => manager!.submitRequest('quick', i === faultAt ? { value: i, ...fault } : { value: i }, { retries: 0, timeout: i === faultAt ? 300 : 0 })),
    );
    outcomes.forEach((outcome, i) => {
      if (i === faultAt) expect(outcome).toMatchObject({ status: 'rejected', reason: { code } });
      else expect(outcome).toEqual({ status: 'fulfilled', value: i });
    });
    expect(manager.getWorkerStatus()[0]!.restarts).toBe(1);
    expect(manager.getSystemMetrics().failedRequests + manager.getSystemMetrics().timedOutRequests).toBe(1);
  });

  // Browsers give workers no heap limit of their own.
  it.skipIf(backend.platform === 'browser')('replaces a worker Node terminates from outside at its heap limit, failing only its request', async () => {
    manager = await backend.createWorkerManager({
      banks: [{ bankId: 'f', script: faulty, workerCount: 1, resourceLimits: { maxOldGenerationSizeMb: 24, maxYoungGenerationSizeMb: 4 } }],
    });
    const [before, hog, after] = await Promise.allSettled([
      manager.submitRequest('quick', { value: 1 }),
      manager.submitRequest('hog', {}, { retries: 0 }),
      manager.submitRequest('quick', { value: 2 }),
    ]);
    expect(before).toEqual({ status: 'fulfilled', value: 1 });
    expect(hog).toMatchObject({ status: 'rejected', reason: { code: 'E_WORKER_CRASHED', message: expect.stringMatching(/memory limit/) } });
    expect(after).toEqual({ status: 'fulfilled', value: 2 });
    expect(manager.getWorkerStatus()[0]!.restarts).toBe(1);
  });

  it.each([
    [{ maxOldGenerationSizeMb: -1 }, /^Expected a number of megabytes above 0 for options.banks\[0\].resourceLimits.maxOldGenerationSizeMb but received the number -1/],
    [{ heapMb: 10 }, /^Expected keys among maxOldGenerationSizeMb, .* for options.banks\[0\].resourceLimits but received the string "heapMb"/],
    ['big', /^Expected an object of worker_threads resource limits for options.banks\[0\].resourceLimits but received the string "big"/],
  ])('rejects resourceLimits %j with E_INVALID_ARGUMENT', async (resourceLimits, message) => {
    await expect(backend.createWorkerManager({ banks: [{ bankId: 'f', script: faulty, resourceLimits: resourceLimits as never }] })).rejects.toMatchObject({
      code: 'E_INVALID_ARGUMENT',
      message: expect.stringMatching(message),
    });
  });

  it('retries a request whose worker crashed when attempts remain', async () => {
    manager = await backend.createWorkerManager({ banks: [{ bankId: 'f', script: faulty, workerCount: 1 }], retryBaseMs: 1 });
    await expect(manager.submitRequest('crashOnce', {}, { retries: 1 })).resolves.toEqual({ attempt: 2 });
  });

  it('stops a handler that never returns at its timeout and replaces the worker', async () => {
    manager = await backend.createWorkerManager({ banks: [{ bankId: 'f', script: faulty, workerCount: 1 }] });
    await expect(manager.submitRequest('hang', {}, { timeout: 100 })).rejects.toMatchObject({ code: 'E_TIMEOUT' });
    await expect(manager.submitRequest('ok')).resolves.toBe('ok');
    expect(manager.getWorkerStatus()[0]!.restarts).toBe(1);
  });

  it('aborts a running handler through ctx.signal when its request is cancelled', async () => {
    manager = await backend.createWorkerManager({ banks: [{ bankId: 'f', script: faulty, workerCount: 1 }] });
    const controller = new AbortController();
    const running = manager.submitRequest('waitForAbort', {}, { signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 30));
    controller.abort();
    await expect(running).rejects.toMatchObject({ code: 'E_CANCELLED' });
    // The handler saw the abort and returned, so its worker was kept.
    await expect(manager.submitRequest('ok')).resolves.toBe('ok');
    expect(manager.getWorkerStatus()[0]!.restarts).toBe(0);
  });

  it('replaces a worker whose cancelled handler ignores its signal past the grace period', async () => {
    manager = await backend.createWorkerManager({ banks: [{ bankId: 'f', script: faulty, workerCount: 1 }], cancelGraceMs: 50 });
    const controller = new AbortController();
    const hanging = manager.submitRequest('hang', {}, { signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 30));
    controller.abort();
    await expect(hanging).rejects.toMatchObject({ code: 'E_CANCELLED' });
    await expect(manager.submitRequest('ok')).resolves.toBe('ok');
    expect(manager.getWorkerStatus()[0]!.restarts).toBe(1);
  });

  it('cancels a request its worker holds but has not started, and the worker goes on', async () => {
    manager = await backend.createWorkerManager({ banks: [{ bankId: 'math', script: math, workerCount: 1, prefetch: 4 }] });
    const running = manager.submitRequest('slowAdd', { a: 1, b: 2, ms: 100 });
    const controller = new AbortController();
    const held = manager.submitRequest('add', { a: 3, b: 4 }, { signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(manager.queryRequests({ status: ['assigned'] }).total).toBe(1);
    controller.abort();
    await expect(held).rejects.toMatchObject({ code: 'E_CANCELLED' });
    await expect(running).resolves.toEqual({ result: 3 });
    await expect(manager.submitRequest('add', { a: 5, b: 6 })).resolves.toEqual({ result: 11 });
    expect(manager.getWorkerStatus()[0]!.restarts).toBe(0);
    const m = manager.getSystemMetrics();
    expect([m.completedRequests, m.cancelledRequests]).toEqual([2, 1]);
  });

  it('leaves a request that already settled alone when its signal aborts later', async () => {
    manager = await backend.createWorkerManager({ banks: [{ bankId: 'math', script: math }] });
    const controller = new AbortController();
    const request = manager.submitRequest('add', { a: 1, b: 1 }, { signal: controller.signal });
    await expect(request).resolves.toEqual({ result: 2 });
    controller.abort();
    await new Promise((resolve) => setTimeout(resolve, 10));
    await expect(request).resolves.toEqual({ result: 2 });
    const m = manager.getSystemMetrics();
    expect([m.completedRequests, m.cancelledRequests]).toEqual([1, 0]);
    expect(manager.queryRequests({ status: ['completed'] }).total).toBe(1);
  });

  it('delivers ctx.progress() to progress listeners', async () => {
    manager = await backend.createWorkerManager({ banks: [{ bankId: 'f', script: faulty }] });
    const steps: unknown[] = [];
    manager.on('progress', (e) => steps.push(e.value));
    await manager.submitRequest('progress', {});
    expect(steps).toEqual([{ step: 1 }, { step: 2 }, { step: 3 }]);
  });

  it('rejects a bank whose script does not exist, throws at load, or never calls defineWorker', async () => {
    const missing = backend.fixture('does-not-exist');
    await expect(backend.createWorkerManager({ banks: [{ bankId: 'x', script: missing }] })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    const throwing = backend.fixture('throws-at-load');
    await expect(backend.createWorkerManager({ banks: [{ bankId: 'x', script: throwing }] })).rejects.toMatchObject({ code: 'E_WORKER_CRASHED' });
    const silent = backend.fixture('not-a-worker');
    await expect(backend.createWorkerManager({ banks: [{ bankId: 'x', script: silent }], workerStartTimeoutMs: 300 })).rejects.toMatchObject({ code: 'E_WORKER_CRASHED' });
  });

  it('marks script requests processing while their worker runs them', async () => {
    manager = await backend.createWorkerManager({ banks: [{ bankId: 'math', script: math, workerCount: 1 }] });
    const slow = manager.submitRequest('slowAdd', { a: 1, b: 2, ms: 50 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(manager.queryRequests({ status: ['processing'] }).total).toBe(1);
    await slow;
    const lifecycle = manager.queryRequests({ status: ['completed'] }).items[0]!;
    expect(Object.keys(lifecycle.timestamps).sort()).toEqual(['assigned', 'completed', 'pending', 'processing']);
    const t = lifecycle.timestamps;
    expect(t.pending! <= t.assigned! && t.assigned! <= t.processing! && t.processing! <= t.completed!).toBe(true);
  });
});
