// The Node script host on real worker_threads: start-up, a round trip, and every way a
// worker can end, each reported once.
import { Worker } from 'node:worker_threads';

import { afterEach, describe, expect, it } from 'vitest';

import type { WorkerMessage } from '../../dist/cjs/protocol.js';
import { spawnScriptWorker } from '../../dist/cjs/node/script-host.js';
import { quiet, spawn, started } from './spawn-worker.js';

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url);

afterEach(async () => {
  await Promise.all(started.splice(0).map((h) => h.terminate()));
});

describe('script host on worker_threads', () => {
  it('resolves ready with the actions the script defines', async () => {
    const w = spawn(fixture('host-echo.mjs'));
    await expect(w.handle.ready).resolves.toEqual(expect.arrayContaining(['echo', 'whoami', 'bytes', 'exit', 'strayRejection']));
  });

  it('accepts a path, a file: URL and a string holding a file: URL', async () => {
    const url = fixture('host-echo.mjs');
    for (const script of [url, url.href, decodeURIComponent(url.pathname)]) {
      const w = spawn(script);
      await expect(w.handle.ready).resolves.toContain('echo');
    }
  });

  it('runs a task and returns its result, with the context the handler saw', async () => {
    const w = spawn(fixture('host-echo.mjs'));
    w.handle.post({ type: 'init', maxConcurrentTasks: 2 });
    await w.handle.ready;
    expect(await w.run(1, 'echo', { text: 'hi', list: [1, 2] })).toEqual({ id: 1, attempt: 1, ok: true, value: { text: 'hi', list: [1, 2] }, ms: expect.any(Number) });
    expect((await w.run(2, 'whoami')).value).toEqual({ requestId: 2, attempt: 1, action: 'whoami' });
    expect(w.exits).toEqual([]);
  });

  it('moves a transfer() result out of the worker instead of copying it', async () => {
    const w = spawn(fixture('host-echo.mjs'));
    await w.handle.ready;
    const bytes = await w.run(1, 'bytes', { length: 1024 });
    expect((bytes.value as { buffer: ArrayBuffer }).buffer.byteLength).toBe(1024);
    expect((await w.run(2, 'lastSentLength')).value).toBe(0);
  });

  it('delivers progress messages to onMessage before the result', async () => {
    const w = spawn(fixture('host-echo.mjs'));
    await w.handle.ready;
    await w.run(5, 'steps', { count: 3 });
    expect(w.messages.map((m) => (m.type === 'progress' ? m.value : m.type))).toEqual([{ step: 1 }, { step: 2 }, { step: 3 }, 'done']);
  });

  it('fails a result a real postMessage cannot clone with E_HANDLER and keeps the worker', async () => {
    const w = spawn(fixture('host-echo.mjs'));
    w.handle.post({ type: 'init', maxConcurrentTasks: 4 });
    await w.handle.ready;
    const [bad, good] = [w.result(1), w.result(2)];
    w.post({ id: 1, attempt: 1, action: 'notCloneable', params: {} }, { id: 2, attempt: 1, action: 'echo', params: 'fine' });
    expect(await bad).toMatchObject({ ok: false, error: { code: 'E_HANDLER' } });
    expect(await good).toMatchObject({ ok: true, value: 'fine' });
    expect(w.exits).toEqual([]);
  });

  it('reports a script that throws while loading once, through onExit and ready', async () => {
    const w = spawn(fixture('host-throws-at-load.mjs'));
    await expect(w.handle.ready).rejects.toMatchObject({ code: 'E_WORKER_CRASHED' });
    const error = await w.exited;
    expect(error).toMatchObject({ code: 'E_WORKER_CRASHED' });
    expect(error.message).toContain('this script fails while loading');
    await quiet();
    expect(w.exits).toHaveLength(1);
  });

  it('loads a script with top-level await once, through import()', async () => {
    const w = spawn(fixture('host-awaits-at-load.mjs'));
    await expect(w.handle.ready).resolves.toEqual(['triple', 'loads']);
    expect((await w.run(1, 'triple', { n: 5 })).value).toBe(15);
    expect((await w.run(2, 'loads')).value).toBe(1);
  });

  it('ends a worker whose script throws after a top-level await, even under --unhandled-rejections=warn', async () => {
    for (const execArgv of [[], ['--unhandled-rejections=warn']]) {
      const worker = new Worker(fixture('host-awaits-then-throws.mjs'), { execArgv, stderr: true });
      const error = await new Promise<Error | undefined>((resolve) => {
        worker.on('error', resolve);
        worker.on('exit', () => resolve(undefined));
      });
      expect(error?.message).toBe('this script fails after awaiting');
      await worker.terminate();
    }
  });

  it('reports a script that exits while loading once, with its exit code', async () => {
    const w = spawn(fixture('host-exits-at-load.mjs'));
    await expect(w.handle.ready).rejects.toMatchObject({ code: 'E_WORKER_CRASHED' });
    expect((await w.exited).message).toContain('exited with code 3');
    await quiet();
    expect(w.exits).toHaveLength(1);
  });

  it('reports process.exit() in a handler once, with its exit code', async () => {
    const w = spawn(fixture('host-echo.mjs'));
    await w.handle.ready;
    w.post({ id: 1, attempt: 1, action: 'exit', params: { code: 3 } });
    const error = await w.exited;
    expect(error).toMatchObject({ code: 'E_WORKER_CRASHED' });
    expect(error.message).toContain('exited with code 3'); // the code is what the message is for
    await quiet();
    expect(w.exits).toHaveLength(1);
  });

  it('reports process.exit(0) in a handler as an end too', async () => {
    const w = spawn(fixture('host-echo.mjs'));
    await w.handle.ready;
    w.post({ id: 1, attempt: 1, action: 'exit', params: { code: 0 } });
    expect(await w.exited).toMatchObject({ code: 'E_WORKER_CRASHED' });
  });

  it('reports an uncaught exception after start-up once, with its message', async () => {
    const w = spawn(fixture('host-echo.mjs'));
    await w.handle.ready;
    w.post({ id: 1, attempt: 1, action: 'throwLater', params: { message: 'late failure' } });
    const error = await w.exited;
    expect(error).toMatchObject({ code: 'E_WORKER_CRASHED', cause: { message: 'late failure' } });
    await quiet();
    expect(w.exits).toHaveLength(1);
  });

  it('reports an unhandled rejection in the worker as a crash', async () => {
    const w = spawn(fixture('host-echo.mjs'));
    await w.handle.ready;
    w.post({ id: 1, attempt: 1, action: 'strayRejection', params: { message: 'stray' } });
    expect(await w.exited).toMatchObject({ code: 'E_WORKER_CRASHED', cause: { message: 'stray' } });
    await quiet();
    expect(w.exits).toHaveLength(1);
  });

  it('reports an unhandled rejection of a non-Error as a crash', async () => {
    const w = spawn(fixture('host-echo.mjs'));
    await w.handle.ready;
    w.post({ id: 1, attempt: 1, action: 'strayRejectionOfString', params: {} });
    const error = await w.exited;
    expect(error).toMatchObject({ code: 'E_WORKER_CRASHED' });
    expect(error.message).toContain('just a string');
  });

  it('leaves a worker alone whose script handles its own unhandled rejections', async () => {
    const w = spawn(fixture('host-keeps-rejections.mjs'));
    await w.handle.ready;
    expect((await w.run(1, 'strayRejection')).value).toBe('returned');
    await quiet();
    expect((await w.run(2, 'seen')).value).toEqual(['kept']);
    expect(w.exits).toEqual([]);
  });

  it('rejects a script that does not exist before starting anything', async () => {
    const w = spawn(fixture('does-not-exist.mjs'));
    const error = (await w.handle.ready.catch((e: unknown) => e)) as Error & { code: string };
    expect(error.code).toBe('E_INVALID_ARGUMENT');
    // The message is the feature: it names the missing file.
    expect(error.message).toMatch(/^Expected a worker script file but .*does-not-exist\.mjs does not exist$/);
    await w.handle.terminate();
    expect(w.exits).toEqual([]);
  });

  it('throws at once for a script that is not a file path or file: URL', () => {
    const options = { name: 'x', onMessage() {}, onExit() {} };
    expect(() => spawnScriptWorker('https://example.com/w.js', options)).toThrow(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }));
    expect(() => spawnScriptWorker(new URL('https://example.com/w.js'), options)).toThrow(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }));
    expect(() => spawnScriptWorker('', options)).toThrow(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }));
    expect(() => spawnScriptWorker(fixture('host-echo.mjs'), { ...options, startTimeoutMs: -1 })).toThrow(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }));
  });

  it('rejects ready for a script that ends without calling defineWorker(), at once', async () => {
    const w = spawn(fixture('host-ends-without-define.mjs'), { startTimeoutMs: 10_000 });
    const started = Date.now();
    const error = (await w.handle.ready.catch((e: unknown) => e)) as Error & { code: string };
    expect(error.code).toBe('E_WORKER_CRASHED');
    expect(error.message).toContain('did not call defineWorker()');
    expect(Date.now() - started).toBeLessThan(5_000); // not the start timeout
    await w.exited;
    expect(w.exits).toHaveLength(1);
  });

  it('rejects ready for a script that never calls defineWorker() once the start timeout passes', async () => {
    const w = spawn(fixture('host-stays-without-define.mjs'), { startTimeoutMs: 200 });
    const error = (await w.handle.ready.catch((e: unknown) => e)) as Error & { code: string };
    expect(error.code).toBe('E_WORKER_CRASHED');
    expect(error.message).toContain('did not call defineWorker()');
    await quiet();
    expect(w.exits).toHaveLength(1); // the worker we stopped for it is not reported again
  });

  it('does not call onExit for terminate(), before or after ready', async () => {
    const early = spawn(fixture('host-echo.mjs'));
    await early.handle.terminate();
    await expect(early.handle.ready).rejects.toMatchObject({ code: 'E_SHUTTING_DOWN' });
    const late = spawn(fixture('host-echo.mjs'));
    await late.handle.ready;
    await late.handle.terminate();
    await late.handle.terminate(); // twice is fine
    await quiet();
    expect(early.exits).toEqual([]);
    expect(late.exits).toEqual([]);
  });

  it('lets the owner unref a ready worker and ref it again', async () => {
    const w = spawn(fixture('host-echo.mjs'));
    await w.handle.ready;
    w.handle.unref();
    w.handle.ref();
    expect((await w.run(1, 'echo', 1)).value).toBe(1);
  });
});

describe('defineWorker() in worker_threads', () => {
  it('ends the worker on an unhandled rejection even under --unhandled-rejections=warn', async () => {
    // Started directly: the flag is what is under test, and the host does not set execArgv.
    const worker = new Worker(fixture('host-rejects-under-warn.mjs'), { execArgv: ['--unhandled-rejections=warn'], stderr: true });
    const events: string[] = [];
    await new Promise<void>((resolve) => {
      worker.on('message', (message: WorkerMessage) => {
        if (message.type === 'ready') worker.postMessage({ type: 'run', tasks: [{ id: 1, attempt: 1, action: 'strayRejection', params: {} }] });
        // A worker that survives the rejection is the failure; don't wait for ever on it.
        if (message.type === 'done') setTimeout(resolve, 500);
      });
      worker.on('error', (error) => events.push(`error: ${error.message}`));
      worker.on('exit', () => {
        events.push('exit');
        resolve();
      });
    });
    await worker.terminate();
    expect(events).toEqual(['error: stray under warn', 'exit']);
  });
});
