// The template and the example workers in worker-scripts/, run as users run them: in real
// worker_threads, importing 'threadbank/worker' through the package's own exports.
import { afterEach, describe, expect, it } from 'vitest';

import { quiet, spawn, started } from './spawn-worker.js';

const script = (path: string) => new URL(`../../worker-scripts/${path}`, import.meta.url);

afterEach(async () => {
  await Promise.all(started.splice(0).map((h) => h.terminate()));
});

describe('worker-scripts/template.js', () => {
  it('defines its documented actions and echoes', async () => {
    const w = spawn(script('template.js'));
    expect((await w.handle.ready).sort()).toEqual(['checkPositive', 'countTo', 'echo', 'zeros']);
    expect(await w.run(1, 'echo', { hello: 'world' })).toMatchObject({ ok: true, value: { hello: 'world' } });
  });

  it('counts with progress, and stops with E_CANCELLED when aborted', async () => {
    const w = spawn(script('template.js'));
    await w.handle.ready;
    expect((await w.run(1, 'countTo', { n: 30_000 })).value).toEqual({ total: (30_000 * 30_001) / 2 });
    expect(w.messages.filter((m) => m.type === 'progress').map((m) => m.type === 'progress' && m.value)).toEqual([
      { done: 10_000, of: 30_000 },
      { done: 20_000, of: 30_000 },
      { done: 30_000, of: 30_000 },
    ]);
    const cancelled = w.result(2);
    w.post({ id: 2, attempt: 1, action: 'countTo', params: { n: Number.MAX_SAFE_INTEGER } });
    await quiet(50);
    w.handle.post({ type: 'abort', id: 2, attempt: 1 });
    expect(await cancelled).toMatchObject({ ok: false, error: { code: 'E_CANCELLED' } });
    expect(w.exits).toEqual([]);
  });

  it('transfers zeros and rejects bad params with E_INVALID_PARAMS', async () => {
    const w = spawn(script('template.js'));
    await w.handle.ready;
    const zeros = await w.run(1, 'zeros', { length: 64 });
    expect((zeros.value as { bytes: Uint8Array }).bytes).toEqual(new Uint8Array(64));
    expect(await w.run(2, 'checkPositive', { value: -1 })).toMatchObject({ ok: false, error: { code: 'E_INVALID_PARAMS', name: 'RangeError' } });
    expect(await w.run(3, 'checkPositive', { value: 2 })).toMatchObject({ ok: true, value: { value: 2 } });
  });
});

describe('worker-scripts/examples', () => {
  it('math.js adds, computes Fibonacci numbers and sums arrays and typed arrays', async () => {
    const w = spawn(script('examples/math.js'));
    await w.handle.ready;
    expect((await w.run(1, 'add', { a: 2, b: 3 })).value).toEqual({ result: 5 });
    expect((await w.run(2, 'fibonacci', { n: 50 })).value).toEqual({ result: 12_586_269_025 });
    expect((await w.run(3, 'sum', { values: [1, 2, 3.5] })).value).toEqual({ result: 6.5 });
    expect((await w.run(4, 'sum', { values: new Float64Array([1, 2]) })).value).toEqual({ result: 3 });
    expect(await w.run(5, 'fibonacci', { n: 1000 })).toMatchObject({ ok: false, error: { code: 'E_INVALID_PARAMS' } });
    expect(await w.run(6, 'add', { a: '1', b: 2 })).toMatchObject({ ok: false, error: { code: 'E_INVALID_PARAMS' } });
  });

  it('text.js counts words and runs the JSON.stringify loop', async () => {
    const w = spawn(script('examples/text.js'));
    await w.handle.ready;
    expect((await w.run(1, 'wordCount', { text: '  one two\tthree\n' })).value).toEqual({ words: 3 });
    let expected = 0;
    for (let i = 0; i < 1000; i++) expected += JSON.stringify({ a: i }).length;
    expect((await w.run(2, 'stringify', {})).value).toEqual({ length: expected });
  });

  describe('faulty.js', () => {
    it('fails throwing and rejecting handlers with their own names and codes', async () => {
      const w = spawn(script('examples/faulty.js'));
      await w.handle.ready;
      expect(await w.run(1, 'throws')).toMatchObject({ ok: false, error: { name: 'Error', code: 'MY_CODE' } });
      expect(await w.run(2, 'rejectsLater')).toMatchObject({ ok: false, error: { name: 'TypeError' } });
      expect(w.exits).toEqual([]);
    });

    it('stops waitForAbort through its signal, after it did some work', async () => {
      const w = spawn(script('examples/faulty.js'));
      await w.handle.ready;
      w.handle.post({ type: 'init', maxConcurrentTasks: 2 });
      const aborted = w.result(1);
      w.post({ id: 1, attempt: 1, action: 'waitForAbort', params: {} });
      await quiet(50);
      w.handle.post({ type: 'abort', id: 1, attempt: 1 });
      expect(await aborted).toMatchObject({ ok: false, error: { name: 'AbortError', code: 'E_CANCELLED' } });
      const counters = (await w.run(2, 'counters')).value as { waitForAbort: number };
      expect(counters.waitForAbort).toBeGreaterThan(1);
    });

    it('spins until the worker is terminated', async () => {
      const w = spawn(script('examples/faulty.js'));
      await w.handle.ready;
      const spun = w.result(1);
      w.post({ id: 1, attempt: 1, action: 'spin', params: {} });
      const outcome = await Promise.race([spun.then(() => 'returned'), quiet(300).then(() => 'still spinning')]);
      expect(outcome).toBe('still spinning');
      await w.handle.terminate();
      expect(w.exits).toEqual([]);
    });

    it('ends its worker with exit and with a stray rejection', async () => {
      const exiting = spawn(script('examples/faulty.js'));
      await exiting.handle.ready;
      exiting.post({ id: 1, attempt: 1, action: 'exit', params: { code: 4 } });
      expect(await exiting.exited).toMatchObject({ code: 'E_WORKER_CRASHED' });
      const rejecting = spawn(script('examples/faulty.js'));
      await rejecting.handle.ready;
      rejecting.post({ id: 1, attempt: 1, action: 'strayRejection', params: {} });
      expect(await rejecting.exited).toMatchObject({ code: 'E_WORKER_CRASHED' });
    });

    it('fails a non-cloneable result with E_HANDLER, reports progress, and keeps going', async () => {
      const w = spawn(script('examples/faulty.js'));
      await w.handle.ready;
      expect(await w.run(1, 'notCloneable')).toMatchObject({ ok: false, error: { code: 'E_HANDLER' } });
      expect(await w.run(2, 'progress', { steps: 2 })).toMatchObject({ ok: true, value: { steps: 2 } });
      expect(w.messages.filter((m) => m.type === 'progress')).toHaveLength(2);
      expect(w.exits).toEqual([]);
    });
  });
});
