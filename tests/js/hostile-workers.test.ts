// Worker scripts that misbehave against the host: every request still settles, once, with a
// clear code; the host never crashes; a worker answers only attempts it holds
// (docs/guarantees.md, "Faulty and hostile workers").
import { afterEach, describe, expect, it } from 'vitest';

import type { ManagerEvent, ThreadbankError, WorkerManager } from '../../dist/cjs/index.js';
import { backends } from './backends.js';

const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error as ThreadbankError);

describe.each(backends)('faulty and hostile workers ($name)', (backend) => {
  const hostile = backend.fixture('hostile');
  let manager: WorkerManager | undefined;
  afterEach(async () => {
    await manager?.shutdown({ drain: false });
    manager = undefined;
  });

  const start = async (extra: Record<string, unknown> = {}) => {
    manager = await backend.createWorkerManager({ banks: [{ bankId: 'h', script: hostile }], ...extra });
    return manager;
  };

  // In Node the rejection kills the worker before its result leaves it (the attempt is
  // charged); a browser reports it after the result was sent (the request completes and
  // the worker dies idle). Either way the request settles once and the worker is replaced.
  const strayOutcome = async (request: Promise<unknown>) => {
    const error = await failure(request);
    if (backend.platform === 'node') expect(error?.code).toBe('E_WORKER_CRASHED');
    else expect(error === undefined || error.code === 'E_WORKER_CRASHED').toBe(true);
  };

  it('charges the attempt whose stray rejection killed its worker, and the request settles', async () => {
    const m = await start();
    await strayOutcome(m.submitRequest('strayRejection', {}, { timeout: 5_000 }));
    // The replacement works. (Waited for: where memory cannot be shared, a browser's worker
    // that dies after its result left is charged with whatever it was sent next.)
    await expect.poll(() => m.getWorkerStatus()[0]!.restarts >= 1 && m.getWorkerStatus()[0]!.alive).toBe(true);
    await expect(m.submitRequest('ok', {})).resolves.toBe('ok');
    await m.shutdown();
  });

  it('retries a stray rejection only as often as allowed, then fails it', async () => {
    const m = await start();
    await strayOutcome(m.submitRequest('strayRejection', {}, { retries: 2 }));
    const [record] = m.queryRequests({ taskId: 'strayRejection' }).items;
    expect(record?.attempts).toBeLessThanOrEqual(3);
  });

  it.each(['throwsGetters', 'throwsProxy', 'returnsGetter', 'returnsProxy', 'returnsThenGetter'])(
    'turns a value that cannot be read (%s) into E_HANDLER, and the worker lives on',
    async (action) => {
      const m = await start();
      const error = await failure(m.submitRequest(action, {}));
      expect(error?.code).toBe('E_HANDLER');
      expect(m.getWorkerStatus()[0]!.restarts).toBe(0);
      await expect(m.submitRequest('ok', {})).resolves.toBe('ok');
    },
  );

  it.each([
    ['null', null],
    ['a string', 'done'],
    ['a done without results', { type: 'done' }],
    ['a done with a null result', { type: 'done', results: [null] }],
    ['a done with a result without an id', { type: 'done', results: [{ ok: true }] }],
    ['a progress without an id', { type: 'progress', value: 1 }],
    ['an unknown type', { type: 'hello' }],
  ])('replaces a worker that posts %s, charging what it ran', async (_label, message) => {
    const m = await start();
    const error = await failure(m.submitRequest('postRaw', { message }));
    expect(error?.code).toBe('E_WORKER_CRASHED');
    await expect(m.submitRequest('ok', {})).resolves.toBe('ok');
    expect(m.getWorkerStatus()[0]!.restarts).toBeGreaterThanOrEqual(1);
  });

  it('never delivers a result forged for a request the worker does not hold', async () => {
    manager = await backend.createWorkerManager({
      banks: [
        { bankId: 'h', script: hostile },
        { bankId: 'victim', script: hostile },
        { bankId: 'native', builtin: 'basic' },
      ],
    });
    const m = manager;
    const scriptVictim = m.submitRequest('sleep', { ms: 300 }, { bankId: 'victim' });
    const nativeVictim = m.submitRequest('sleep', { ms: 300 }, { bankId: 'native' });
    const victims = () => m.queryRequests({ taskId: 'sleep', status: ['assigned', 'processing'] }).items.map((r) => r.requestId);
    await expect.poll(() => victims().length).toBe(2);
    for (const id of victims()) {
      for (const attempt of [1, 2]) {
        await expect(m.submitRequest('forge', { id, attempt, value: 'forged' }, { bankId: 'h' })).resolves.toBe('mine');
      }
    }
    expect(await scriptVictim).toBe('slept');
    expect(await nativeVictim).not.toBe('forged');
    expect(m.getSystemMetrics().completedRequests).toBe(6);
  });

  it('drops progress forged for a request the worker does not hold', async () => {
    manager = await backend.createWorkerManager({ banks: [{ bankId: 'h', script: hostile }, { bankId: 'victim', script: hostile }] });
    const m = manager;
    const progress: ManagerEvent[] = [];
    m.on('progress', (event) => progress.push(event));
    const victim = m.submitRequest('sleep', { ms: 200 }, { bankId: 'victim' });
    await expect.poll(() => m.queryRequests({ status: ['processing'] }).items.length).toBe(1);
    const [{ requestId }] = m.queryRequests({ status: ['processing'] }).items as [{ requestId: number }];
    await m.submitRequest('forgeProgress', { id: requestId, attempt: 1, value: 'forged' }, { bankId: 'h' });
    await victim;
    expect(progress).toEqual([]);
  });

  it('never reads an attempt number over 255 as a wrapped one: the message is malformed', async () => {
    const m = await start();
    const error = await failure(m.submitRequest('forgeAttempt', {}));
    expect(error?.code).toBe('E_WORKER_CRASHED');
    await expect(m.submitRequest('ok', {})).resolves.toBe('ok');
  });

  it('keeps an impossible run time out of the metrics', async () => {
    const m = await start();
    await expect(m.submitRequest('forgeDuration', {})).resolves.toBe('timed');
    expect(m.getSystemMetrics().processingTime.maxMs).toBeLessThan(60_000);
    expect(m.metricsText()).not.toMatch(/e\+2\d\d|Infinity/);
  });

  it('coalesces a flood of progress into a few messages, the latest value last', async () => {
    const m = await start();
    const values: unknown[] = [];
    m.on('progress', (event) => values.push(event.value));
    await expect(m.submitRequest('progressFlood', { count: 100_000 })).resolves.toBe('flooded');
    expect(values.length).toBeGreaterThan(0);
    expect(values.length).toBeLessThan(100);
    expect(values.at(-1)).toBe(99_999);
  });

  it('fails a result over maxPayloadBytes with E_PAYLOAD_TOO_LARGE', async () => {
    const m = await start({ maxPayloadBytes: 1_000 });
    expect((await failure(m.submitRequest('big', { bytes: 10_000 })))?.code).toBe('E_PAYLOAD_TOO_LARGE');
    await expect(m.submitRequest('big', { bytes: 10 })).resolves.toBe('x'.repeat(10));
    // What params may not hold does not stop a result's count early.
    expect((await failure(m.submitRequest('bigBehindKey', { bytes: 10_000 })))?.code).toBe('E_PAYLOAD_TOO_LARGE');
    expect((await failure(m.submitRequest('bigBehindCycle', { bytes: 10_000 })))?.code).toBe('E_PAYLOAD_TOO_LARGE');
    const small = (await m.submitRequest('bigBehindCycle', { bytes: 10 })) as { self: unknown; big: string };
    expect(small.self).toBe(small);
  });

  it('marks a bank whose workers keep dying as failing, fails its queue, and recovers', async () => {
    const m = await start();
    const states: unknown[] = [];
    m.on('bank-status', (event) => states.push(event.state));
    // Five deaths in a row (the default max_consecutive_deaths), each before the worker could
    // report anything: each charged request fails.
    const errors = [];
    for (let i = 0; i < 5; i++) errors.push(await failure(m.submitRequest('postRaw', { message: null })));
    expect(errors.map((e) => e?.code)).toEqual(Array(5).fill('E_WORKER_CRASHED'));
    expect(states).toContain('failing');
    expect(m.getBanks()[0]!.status).toBe('failing');
    // The next replacement waits out its backoff, then finishes a request: active again.
    await expect(m.submitRequest('ok', {})).resolves.toBe('ok');
    expect(m.getBanks()[0]!.status).toBe('active');
    expect(states.at(-1)).toBe('active');
    await m.shutdown();
  }, 30_000);

  it('ends the crash loop of a script that calls defineWorker twice: requests settle, shutdown finishes', async () => {
    // The first call reports ready; the second throws at load, so each worker dies at once,
    // running nothing. Either the start fails, or the loop ends with the bank failing.
    let created: WorkerManager;
    try {
      created = await backend.createWorkerManager({ banks: [{ bankId: 'd', script: backend.fixture('define-twice') }] });
    } catch (error) {
      expect((error as ThreadbankError).code).toBe('E_WORKER_CRASHED');
      expect((error as ThreadbankError).message).toMatch(/defineWorker/);
      return;
    }
    manager = created;
    // Charged at the first death where only order tells what ran (no shared memory), else
    // failed with the queue when the bank turns failing.
    const error = await failure(created.submitRequest('ok', {}));
    expect(error?.code).toBe('E_WORKER_CRASHED');
    await created.shutdown();
  }, 30_000);
});
