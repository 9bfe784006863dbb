// The worker side of the protocol, driven through an in-memory port. The port clones every
// message with structuredClone (honouring the transfer list), so what cannot cross a real
// postMessage fails here the same way.
import { isMainThread } from 'node:worker_threads';

import { describe, expect, expectTypeOf, it } from 'vitest';

import { RunningRecord } from '../../dist/cjs/protocol.js';
import type { HostMessage, ResultMessage, TaskMessage, WorkerMessage } from '../../dist/cjs/protocol.js';
import { defineWorker } from '../../dist/cjs/worker-node.js';
import type { HandlerContext, HandlerMap, ParamsOf, ResultOf, WorkerActions } from '../../dist/cjs/worker-node.js';
import { runWorker, transfer } from '../../dist/cjs/worker-runtime.js';
import type { RuntimeOptions } from '../../dist/cjs/worker-runtime.js';

type Done = Extract<WorkerMessage, { type: 'done' }>;

interface Harness {
  sent: WorkerMessage[];
  /** Delivers a host message, as the platform's message event would. */
  send(message: HostMessage): void;
  run(...tasks: TaskMessage[]): void;
  dones(): Done[];
  results(): Omit<ResultMessage, 'ms'>[];
  /** Runs scheduled flushes (when the test controls scheduling). */
  turn(): void;
  /** The fake clock, in ms. */
  clock: { now: number };
  /** What the runtime records as running, shared as real hosts share it (unless opted out). */
  record: RunningRecord | undefined;
}

/**
 * Starts runWorker over a fake port. By default flushes are scheduled by the test (call
 * turn()) and the clock is manual, so batching is deterministic, and init shares a running
 * record as the hosts do where memory can be shared (`shared: false` leaves it out).
 */
function start(handlers: HandlerMap, options: { realSchedule?: boolean; maxConcurrentTasks?: number; shared?: boolean } = {}): Harness {
  const sent: WorkerMessage[] = [];
  let deliver: ((message: HostMessage) => void) | undefined;
  const scheduled: (() => void)[] = [];
  const clock = { now: 0 };
  const runtimeOptions: RuntimeOptions = { now: () => clock.now };
  if (!options.realSchedule) runtimeOptions.schedule = (callback) => scheduled.push(callback);
  runWorker(
    {
      post(message, transferList) {
        // Throws DataCloneError for functions and symbols, and detaches transferred buffers.
        sent.push(structuredClone(message, { transfer: transferList ?? [] }));
      },
      onMessage(callback) {
        deliver = callback;
      },
    },
    handlers,
    runtimeOptions,
  );
  const harness: Harness = {
    sent,
    clock,
    send: (message) => deliver!(message),
    run: (...tasks) => deliver!({ type: 'run', tasks }),
    record: undefined,
    dones: () => sent.filter((m): m is Done => m.type === 'done'),
    // Without the handlers' run times (`ms`): one test checks those; the rest compare whole results.
    results: () => harness.dones().flatMap((m) => m.results.map(({ ms: _ms, ...result }) => result)),
    turn() {
      while (scheduled.length > 0) scheduled.shift()!();
    },
  };
  const places = options.maxConcurrentTasks ?? 1;
  harness.record = options.shared === false ? undefined : RunningRecord.create(places);
  if (harness.record || options.maxConcurrentTasks !== undefined) {
    harness.send({ type: 'init', maxConcurrentTasks: places, running: harness.record?.buffer });
  }
  return harness;
}

const task = (id: number, action: string, params: unknown = {}, attempt = 1): TaskMessage => ({ id, attempt, action, params });

/** A promise the test settles by hand. */
function deferred<T = unknown>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets pending promise reactions run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('worker runtime: start-up', () => {
  it('posts ready once, with the names of the handlers it was given', () => {
    const h = start({ add: () => 1, mul: () => 2 });
    expect(h.sent).toEqual([{ type: 'ready', actions: ['add', 'mul'] }]);
    h.send({ type: 'init', maxConcurrentTasks: 2 });
    expect(h.sent.filter((m) => m.type === 'ready')).toHaveLength(1);
  });
});

describe('worker runtime: order and concurrency', () => {
  it('runs synchronous handlers one after another in arrival order', () => {
    const calls: number[] = [];
    const h = start({ note: ({ n }: { n: number }) => calls.push(n) }, { maxConcurrentTasks: 4 });
    h.run(task(1, 'note', { n: 1 }), task(2, 'note', { n: 2 }));
    h.run(task(3, 'note', { n: 3 }));
    h.turn();
    expect(calls).toEqual([1, 2, 3]);
    expect(h.results().map((r) => r.id)).toEqual([1, 2, 3]);
  });

  it('reports how long each handler ran, sync or async, ok or failed', async () => {
    const later = deferred<number>();
    let h!: Harness;
    h = start(
      {
        slow: () => {
          h.clock.now += 3;
          return 1;
        },
        broken: () => {
          h.clock.now += 2;
          throw new Error('no');
        },
        wait: () => later.promise,
      },
      { maxConcurrentTasks: 2 },
    );
    h.run(task(1, 'slow'), task(2, 'broken'), task(3, 'wait'));
    h.clock.now += 7;
    later.resolve(5);
    await settle();
    h.turn();
    const ms = new Map(h.dones().flatMap((d) => d.results.map((r) => [r.id, r.ms])));
    expect(ms).toEqual(new Map([[1, 3], [2, 2], [3, 7]]));
  });

  it('runs at most maxConcurrentTasks async handlers at once, starting the rest in order', async () => {
    const gates = new Map<number, ReturnType<typeof deferred>>();
    const started: number[] = [];
    let running = 0;
    let peak = 0;
    const h = start(
      {
        wait: async (_params: unknown, ctx: HandlerContext) => {
          started.push(ctx.requestId);
          running++;
          peak = Math.max(peak, running);
          const gate = deferred();
          gates.set(ctx.requestId, gate);
          await gate.promise;
          running--;
          return ctx.requestId;
        },
      },
      { maxConcurrentTasks: 2 },
    );
    h.run(...[1, 2, 3, 4, 5].map((id) => task(id, 'wait')));
    expect(started).toEqual([1, 2]);
    gates.get(2)!.resolve(undefined);
    await settle();
    expect(started).toEqual([1, 2, 3]);
    gates.get(1)!.resolve(undefined);
    gates.get(3)!.resolve(undefined);
    await settle();
    expect(started).toEqual([1, 2, 3, 4, 5]);
    gates.get(4)!.resolve(undefined);
    gates.get(5)!.resolve(undefined);
    await settle();
    h.turn();
    expect(peak).toBe(2);
    expect(h.results().map((r) => r.value).sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it('runs one task at a time until init says otherwise', async () => {
    const gate = deferred();
    const started: number[] = [];
    const h = start({
      wait: async (_params: unknown, ctx: HandlerContext) => {
        started.push(ctx.requestId);
        await gate.promise;
      },
    });
    h.run(task(1, 'wait'), task(2, 'wait'));
    expect(started).toEqual([1]);
    h.send({ type: 'init', maxConcurrentTasks: 2 });
    expect(started).toEqual([1, 2]);
  });

  it('falls back to one at a time for a maxConcurrentTasks that is not a positive number', () => {
    const gate = deferred();
    const started: number[] = [];
    const h = start({
      wait: (_params: unknown, ctx: HandlerContext) => {
        started.push(ctx.requestId);
        return gate.promise;
      },
    });
    h.send({ type: 'init', maxConcurrentTasks: 0 });
    h.send({ type: 'init', maxConcurrentTasks: Number.NaN });
    h.run(task(1, 'wait'), task(2, 'wait'));
    expect(started).toEqual([1]);
  });

  it('gives each handler its params, request id, attempt and action', () => {
    const h = start({ who: (params: unknown, ctx: HandlerContext) => ({ params, id: ctx.requestId, attempt: ctx.attempt, action: ctx.action }) });
    h.run(task(7, 'who', { x: 1 }, 3));
    h.turn();
    expect(h.results()).toEqual([{ id: 7, attempt: 3, ok: true, value: { params: { x: 1 }, id: 7, attempt: 3, action: 'who' } }]);
  });

  it('runs an attempt sent twice only once', async () => {
    let calls = 0;
    const h = start({ count: () => ++calls }, { maxConcurrentTasks: 4 });
    h.run(task(1, 'count'), task(1, 'count'));
    h.turn();
    expect(calls).toBe(1);
    // Also while the first copy still waits behind a running task.
    const gate = deferred();
    const held: number[] = [];
    const slow = start({ hold: (_params: unknown, ctx: HandlerContext) => (held.push(ctx.requestId), gate.promise) });
    slow.run(task(1, 'hold'), task(2, 'hold'), task(2, 'hold'));
    gate.resolve(undefined);
    await settle();
    slow.turn();
    expect(held).toEqual([1, 2]);
    expect(slow.results().map((r) => r.id)).toEqual([1, 2]);
  });
});

describe('worker runtime: batching', () => {
  it('sends the results of one run message in one done', () => {
    const h = start({ add: ({ a, b }: { a: number; b: number }) => a + b }, { maxConcurrentTasks: 1 });
    h.run(...Array.from({ length: 50 }, (_, i) => task(i + 1, 'add', { a: i, b: 1 })));
    expect(h.dones()).toHaveLength(0); // nothing until the turn ends
    h.turn();
    expect(h.dones()).toHaveLength(1);
    expect(h.dones()[0]!.results.map((r) => r.value)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  it('merges results of several messages and async handlers handled before the flush runs', async () => {
    const h = start({ sync: () => 's', later: async () => 'a' }, { maxConcurrentTasks: 8 });
    // Once each, so neither counts as an action never seen (those get a flush first).
    h.run(task(1, 'sync'), task(2, 'later'));
    await settle();
    h.turn();
    h.sent.length = 0;
    h.run(task(3, 'sync'), task(4, 'later'));
    h.run(task(5, 'sync'), task(6, 'later'));
    await settle();
    h.turn();
    expect(h.dones()).toHaveLength(1);
    expect(h.results().map((r) => r.id).sort()).toEqual([3, 4, 5, 6]);
  });

  it('flushes by itself with the default scheduling', async () => {
    const h = start({ add: ({ a, b }: { a: number; b: number }) => a + b }, { realSchedule: true, maxConcurrentTasks: 1 });
    h.run(task(1, 'add', { a: 1, b: 2 }), task(2, 'add', { a: 3, b: 4 }));
    await settle();
    expect(h.dones()).toEqual([{ type: 'done', results: [expect.objectContaining({ id: 1, value: 3 }), expect.objectContaining({ id: 2, value: 7 })] }]);
  });

  it('sends waiting results before starting an action whose last run was slow', () => {
    const seenAtStart: number[] = [];
    const h = start(
      {
        fast: () => 'fast',
        slow: () => {
          seenAtStart.push(h.results().length);
          h.clock.now += 50;
          return 'slow';
        },
      },
      { maxConcurrentTasks: 1 },
    );
    // First run of each: an action never seen counts as slow.
    h.run(task(1, 'fast'), task(2, 'fast'), task(3, 'slow'));
    h.turn();
    // Known to be slow now.
    h.run(task(4, 'fast'), task(5, 'slow'), task(6, 'fast'), task(7, 'fast'));
    h.turn();
    expect(seenAtStart).toEqual([2, 4]);
    // ...while fast tasks still share messages.
    expect(h.dones().map((m) => m.results.map((r) => r.id))).toEqual([[1, 2], [3], [4], [5, 6, 7]]);
  });

  it('holds no result longer than about a millisecond behind a run of short tasks', () => {
    const TASK_MS = 0.4;
    const postedAt: number[] = [];
    const h = start(
      {
        tick: () => {
          h.clock.now += TASK_MS;
          return h.clock.now; // when it finished
        },
      },
      { maxConcurrentTasks: 1 },
    );
    const post = h.sent.push.bind(h.sent);
    h.sent.push = (...messages: WorkerMessage[]) => {
      postedAt.push(h.clock.now);
      return post(...messages);
    };
    h.run(...Array.from({ length: 20 }, (_, i) => task(i + 1, 'tick')));
    h.turn();
    const dones = h.dones();
    expect(h.results()).toHaveLength(20);
    expect(dones.length).toBeGreaterThan(3); // flushed along the way, not once at the end
    expect(dones.length).toBeLessThan(20); // and still batched
    dones.forEach((message, i) => {
      const at = postedAt[i]!;
      for (const result of message.results) expect(at - (result.value as number)).toBeLessThanOrEqual(1 + TASK_MS + 1e-9);
    });
  });

  it('without a shared running record, sends waiting results before every start', () => {
    // The host then knows what ran only from the order of results: a worker dying in a task
    // must not take unsent results of earlier tasks with it.
    const h = start({ add: ({ a, b }: { a: number; b: number }) => a + b }, { maxConcurrentTasks: 1, shared: false });
    h.run(...Array.from({ length: 5 }, (_, i) => task(i + 1, 'add', { a: i, b: 1 })));
    h.turn();
    expect(h.dones().map((m) => m.results.map((r) => r.id))).toEqual([[1], [2], [3], [4], [5]]);
  });
});

/** A record's reading as sorted [id, attempt] pairs (places are the runtime's choice). */
const pairsOf = (reading: { ids: number[]; attempts: number[] }) => reading.ids.map((id, i) => [id, reading.attempts[i]]).sort((a, b) => a[0]! - b[0]!);

describe('worker runtime: the shared running record', () => {
  it('blames the attempts running now, else those finished with their results unsent, and nothing once sent', async () => {
    const gates = new Map<number, ReturnType<typeof deferred>>();
    let seenBySync: ReturnType<RunningRecord['read']> | undefined;
    const h = start(
      {
        wait: (_params: unknown, ctx: HandlerContext) => {
          const gate = deferred();
          gates.set(ctx.requestId, gate);
          return gate.promise;
        },
        sync: () => {
          seenBySync = h.record!.read();
        },
      },
      { maxConcurrentTasks: 2 },
    );
    expect(h.record!.read()).toEqual({ ids: [], attempts: [] });
    h.run(task(1, 'wait'), task(2, 'wait', {}, 3), task(3, 'sync'), task(4, 'wait'));
    expect(pairsOf(h.record!.read())).toEqual([[1, 1], [2, 3]]);
    gates.get(1)!.resolve(undefined);
    await settle();
    // 1 finished (and was sent before 3, an action never timed, began); 3 ran
    // synchronously, recorded while it ran; then 4 began.
    expect(pairsOf(seenBySync!)).toEqual([[2, 3], [3, 1]]);
    expect(pairsOf(h.record!.read())).toEqual([[2, 3], [4, 1]]);
    gates.get(2)!.resolve(undefined);
    gates.get(4)!.resolve(undefined);
    await settle();
    // Nothing runs; 3, 2 and 4 finished with their results not sent yet: if the worker died
    // now (a rejection one of them left behind), they are whom to blame.
    expect(pairsOf(h.record!.read())).toEqual([[2, 3], [3, 1], [4, 1]]);
    h.turn();
    expect(h.results().map((r) => r.id).sort()).toEqual([1, 2, 3, 4]);
    expect(h.record!.read()).toEqual({ ids: [], attempts: [] });
  });
});

describe('worker runtime: failures', () => {
  it('fails an unknown action with E_UNKNOWN_TASK and runs its neighbours', () => {
    const h = start({ ok: () => 'ok' }, { maxConcurrentTasks: 1 });
    h.run(task(1, 'ok'), task(2, 'nope'), task(3, 'toString'), task(4, '__proto__'), task(5, 'ok'));
    h.turn();
    const results = h.results();
    expect(results.map((r) => [r.id, r.ok, r.error?.code])).toEqual([
      [1, true, undefined],
      [2, false, 'E_UNKNOWN_TASK'],
      [3, false, 'E_UNKNOWN_TASK'],
      [4, false, 'E_UNKNOWN_TASK'],
      [5, true, undefined],
    ]);
  });

  it('reports a thrown error with its name, message, stack and string code', () => {
    const h = start(
      {
        throws: () => {
          throw Object.assign(new RangeError('too big'), { code: 'MY_CODE' });
        },
        numericCode: () => {
          throw Object.assign(new Error('n'), { code: 42 });
        },
        throwsString: () => {
          throw 'plain string';
        },
      },
      { maxConcurrentTasks: 1 },
    );
    h.run(task(1, 'throws'), task(2, 'numericCode'), task(3, 'throwsString'));
    h.turn();
    const [thrown, numeric, text] = h.results();
    expect(thrown).toMatchObject({ id: 1, ok: false, error: { name: 'RangeError', message: 'too big', code: 'MY_CODE' } });
    expect(thrown!.error!.stack).toContain('too big');
    expect(numeric!.ok).toBe(false);
    expect(numeric!.error).not.toHaveProperty('code');
    expect(text).toMatchObject({ ok: false, error: { name: 'Error', message: 'plain string' } });
  });

  it('reports a rejection with its name and code', async () => {
    const h = start({
      rejects: async () => {
        await null;
        throw Object.assign(new TypeError('async bad'), { code: 'E_ASYNC' });
      },
    });
    h.run(task(1, 'rejects'));
    await settle();
    h.turn();
    expect(h.results()).toEqual([{ id: 1, attempt: 1, ok: false, error: expect.objectContaining({ name: 'TypeError', message: 'async bad', code: 'E_ASYNC' }) }]);
  });

  it('accepts thenables that are not promises, and one whose then() throws', async () => {
    const h = start(
      {
        thenable: () => ({ then: (resolve: (value: string) => void) => resolve('from thenable') }),
        badThenable: () => ({
          then: () => {
            throw new Error('then exploded');
          },
        }),
      },
      { maxConcurrentTasks: 2 },
    );
    h.run(task(1, 'thenable'), task(2, 'badThenable'));
    await settle();
    h.turn();
    expect(h.results().map((r) => [r.id, r.ok, r.value ?? r.error?.message])).toEqual([
      [1, true, 'from thenable'],
      [2, false, 'then exploded'],
    ]);
  });

  it('fails only the results that cannot be cloned, with E_HANDLER, and delivers their batch neighbours', () => {
    const h = start(
      {
        ok: ({ n }: { n: number }) => ({ n }),
        fn: () => ({ data: { callback: () => 1 } }),
        sym: () => Symbol('nope'),
      },
      { maxConcurrentTasks: 1 },
    );
    h.run(task(1, 'ok', { n: 1 }), task(2, 'fn'), task(3, 'ok', { n: 3 }), task(4, 'sym'), task(5, 'ok', { n: 5 }));
    h.turn();
    const byId = new Map(h.results().map((r) => [r.id, r]));
    expect([...byId.keys()].sort()).toEqual([1, 2, 3, 4, 5]);
    expect([1, 3, 5].map((id) => byId.get(id)!.value)).toEqual([{ n: 1 }, { n: 3 }, { n: 5 }]);
    expect(byId.get(2)).toMatchObject({ ok: false, error: { code: 'E_HANDLER' } });
    expect(byId.get(4)).toMatchObject({ ok: false, error: { code: 'E_HANDLER' } });
    // The message is the feature here: it names the action and what was returned.
    expect(byId.get(2)!.error!.message).toMatch(/^Expected a structured-cloneable result from fn but received an object whose \.data\.callback is a function/);
    expect(byId.get(4)!.error!.message).toMatch(/^Expected a structured-cloneable result from sym but received a symbol/);
  });
});

describe('worker runtime: cancellation', () => {
  it('answers E_CANCELLED for a task aborted before it started, never runs it, and runs the next', async () => {
    const gate = deferred();
    const calls: number[] = [];
    const h = start({
      work: (_params: unknown, ctx: HandlerContext) => {
        calls.push(ctx.requestId);
        return ctx.requestId === 1 ? gate.promise.then(() => 1) : ctx.requestId;
      },
    });
    h.run(task(1, 'work'), task(2, 'work'), task(3, 'work'));
    h.send({ type: 'abort', id: 2, attempt: 1 });
    h.turn();
    expect(h.results()).toEqual([{ id: 2, attempt: 1, ok: false, error: expect.objectContaining({ name: 'AbortError', code: 'E_CANCELLED' }) }]);
    gate.resolve(undefined);
    await settle();
    h.turn();
    expect(calls).toEqual([1, 3]);
    expect(h.results().map((r) => [r.id, r.ok])).toEqual([
      [2, false],
      [1, true],
      [3, true],
    ]);
  });

  it('aborts a running task through ctx.signal with an AbortError reason and reports how it ended', async () => {
    let signal: AbortSignal | undefined;
    const h = start({
      wait: (_params: unknown, ctx: HandlerContext) =>
        new Promise((_resolve, reject) => {
          signal = ctx.signal;
          ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason));
        }),
    });
    h.run(task(9, 'wait', {}, 2));
    expect(signal!.aborted).toBe(false);
    h.send({ type: 'abort', id: 9, attempt: 1 }); // another attempt: not this one
    expect(signal!.aborted).toBe(false);
    h.send({ type: 'abort', id: 9, attempt: 2 });
    expect(signal!.aborted).toBe(true);
    expect((signal!.reason as Error).name).toBe('AbortError');
    await settle();
    h.turn();
    expect(h.results()).toEqual([{ id: 9, attempt: 2, ok: false, error: expect.objectContaining({ name: 'AbortError', code: 'E_CANCELLED' }) }]);
  });

  it('shows an abort that came before the handler first read ctx.signal', async () => {
    const gate = deferred();
    const h = start({
      late: async (_params: unknown, ctx: HandlerContext) => {
        await gate.promise;
        return { aborted: ctx.signal.aborted, reason: (ctx.signal.reason as Error).name };
      },
    });
    h.run(task(4, 'late'));
    h.send({ type: 'abort', id: 4, attempt: 1 });
    h.send({ type: 'abort', id: 4, attempt: 1 }); // a second abort changes nothing
    gate.resolve(undefined);
    await settle();
    h.turn();
    expect(h.results()).toEqual([{ id: 4, attempt: 1, ok: true, value: { aborted: true, reason: 'AbortError' } }]);
  });

  it('lets a running handler finish normally after an abort if it chooses to', async () => {
    const gate = deferred();
    const h = start({ stubborn: () => gate.promise.then(() => 'finished anyway') });
    h.run(task(1, 'stubborn'));
    h.send({ type: 'abort', id: 1, attempt: 1 });
    gate.resolve(undefined);
    await settle();
    h.turn();
    expect(h.results()).toEqual([{ id: 1, attempt: 1, ok: true, value: 'finished anyway' }]);
  });

  it('ignores an abort for a task that already finished or was never sent', () => {
    const h = start({ ok: () => 'ok' });
    h.run(task(1, 'ok'));
    h.send({ type: 'abort', id: 1, attempt: 1 });
    h.send({ type: 'abort', id: 99, attempt: 1 });
    h.turn();
    expect(h.results()).toEqual([{ id: 1, attempt: 1, ok: true, value: 'ok' }]);
  });
});

describe('worker runtime: transfer() and progress', () => {
  it('moves the buffers listed with transfer() instead of copying them, across a batch', () => {
    const kept: ArrayBuffer[] = [];
    const h = start(
      {
        bytes: ({ fill }: { fill: number }) => {
          const buffer = new Uint8Array(4).fill(fill).buffer;
          kept.push(buffer);
          return transfer({ buffer }, [buffer]);
        },
      },
      { maxConcurrentTasks: 1 },
    );
    h.run(task(1, 'bytes', { fill: 1 }), task(2, 'bytes', { fill: 2 }));
    h.turn();
    expect(h.dones()).toHaveLength(1);
    expect(kept.map((b) => b.byteLength)).toEqual([0, 0]); // detached: moved
    expect(h.results().map((r) => [...new Uint8Array((r.value as { buffer: ArrayBuffer }).buffer)])).toEqual([
      [1, 1, 1, 1],
      [2, 2, 2, 2],
    ]);
  });

  it('sends a buffer two results list once, instead of failing the batch', () => {
    const shared = new ArrayBuffer(8);
    const h = start({ same: () => transfer({ shared }, [shared]) }, { maxConcurrentTasks: 1 });
    h.run(task(1, 'same'), task(2, 'same'));
    h.turn();
    expect(h.dones()).toHaveLength(1);
    expect(h.results().map((r) => (r.value as { shared: ArrayBuffer }).shared.byteLength)).toEqual([8, 8]);
    expect(shared.byteLength).toBe(0);
  });

  it('still transfers a result whose batch neighbour could not be cloned', () => {
    let buffer: ArrayBuffer | undefined;
    const h = start(
      {
        bytes: () => {
          buffer = new ArrayBuffer(16);
          return transfer(buffer, [buffer]);
        },
        fn: () => () => 1,
      },
      { maxConcurrentTasks: 1 },
    );
    h.run(task(1, 'bytes'), task(2, 'fn'));
    h.turn();
    const [first, second] = h.results();
    expect(first).toMatchObject({ id: 1, ok: true });
    expect((first!.value as ArrayBuffer).byteLength).toBe(16);
    expect(buffer!.byteLength).toBe(0);
    expect(second).toMatchObject({ id: 2, ok: false, error: { code: 'E_HANDLER' } });
  });

  it('rejects a transfer list that is not an array', () => {
    expect(() => transfer({}, 'nope' as unknown as Transferable[])).toThrow(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }));
  });

  it('posts progress for the running attempt at once, and drops it after the result', async () => {
    let late: HandlerContext | undefined;
    const h = start({
      steps: async (_params: unknown, ctx: HandlerContext) => {
        ctx.progress({ step: 1 });
        ctx.progress({ step: 2 });
        late = ctx;
        return 'done';
      },
    });
    h.run(task(4, 'steps', {}, 2));
    expect(h.sent.filter((m) => m.type === 'progress')).toEqual([
      { type: 'progress', id: 4, attempt: 2, value: { step: 1 } },
      { type: 'progress', id: 4, attempt: 2, value: { step: 2 } },
    ]);
    await settle();
    h.turn();
    late!.progress({ step: 3 });
    expect(h.sent.filter((m) => m.type === 'progress')).toHaveLength(2);
    expect(h.results()).toEqual([{ id: 4, attempt: 2, ok: true, value: 'done' }]);
  });

  it('throws E_HANDLER from ctx.progress for a value that cannot be cloned', () => {
    let thrown: unknown;
    const h = start({
      steps: (_params: unknown, ctx: HandlerContext) => {
        try {
          ctx.progress({ fn: () => 1 });
        } catch (error) {
          thrown = error;
        }
        return 'went on';
      },
    });
    h.run(task(1, 'steps'));
    h.turn();
    expect(thrown).toMatchObject({ code: 'E_HANDLER' });
    expect(h.results()).toEqual([{ id: 1, attempt: 1, ok: true, value: 'went on' }]);
  });
});

describe('defineWorker', () => {
  it.skipIf(!isMainThread)('refuses to run outside a worker thread, saying where it must run', () => {
    let error: { code?: string; message?: string } | undefined;
    try {
      defineWorker({ add: () => 1 });
    } catch (e) {
      error = e as typeof error;
    }
    expect(error?.code).toBe('E_INVALID_ARGUMENT');
    expect(error?.message).toContain('defineWorker() must run inside a worker started by threadbank');
  });

  it('rejects handlers that are not an object of functions', () => {
    expect(() => defineWorker(null as unknown as HandlerMap)).toThrow(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }));
    expect(() => defineWorker({ add: 1 } as unknown as HandlerMap)).toThrow(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }));
  });

  it('types handlers from their own declarations', () => {
    const typed = () =>
      defineWorker({
        add: ({ a, b }: { a: number; b: number }) => ({ result: a + b }),
        later: async (_params: { ms: number }, ctx) => ctx.attempt,
        bytes: () => transfer({ buffer: new ArrayBuffer(1) }, []),
      });
    type H = ReturnType<typeof typed>;
    expectTypeOf<ParamsOf<H, 'add'>>().toEqualTypeOf<{ a: number; b: number }>();
    expectTypeOf<ResultOf<H, 'add'>>().toEqualTypeOf<{ result: number }>();
    expectTypeOf<ResultOf<H, 'later'>>().toEqualTypeOf<number>();
    expectTypeOf<ResultOf<H, 'bytes'>>().toEqualTypeOf<{ buffer: ArrayBuffer }>();
    expectTypeOf<keyof WorkerActions<H>>().toEqualTypeOf<'add' | 'later' | 'bytes'>();
    expectTypeOf<HandlerContext['signal']>().toEqualTypeOf<AbortSignal>();
  });
});
