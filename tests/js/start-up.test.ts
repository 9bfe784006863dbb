// A script bank takes requests once its first worker is ready; the others join as they
// start (js/src/script-bank.ts start(), BankConfig::starting in the core). Node only: the
// host below holds one worker's start open, which needs the Node script host.
import { afterEach, describe, expect, it } from 'vitest';

import { WorkerManager } from '../../dist/cjs/index.js';
import { loadAddon } from '../../dist/cjs/node/addon.js';
import { nodeScriptHost } from '../../dist/cjs/node/host.js';
import type { ScriptHost } from '../../dist/cjs/script-host.js';

const math = new URL('./fixtures/math.mjs', import.meta.url);
const managers: WorkerManager[] = [];

afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.shutdown({ drain: false })));
});

/** The Node host, with the readiness of workers named in `held` withheld until release(). */
function holdingHost(held: string[]): { host: ScriptHost; release(): void } {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const host: ScriptHost = (script, options) => {
    const handle = nodeScriptHost(script, options);
    if (!held.includes(options.name)) return handle;
    return { ...handle, ready: handle.ready.then(async (actions) => (await gate, actions)) };
  };
  return { host, release };
}

async function create(host: ScriptHost): Promise<WorkerManager> {
  const manager = await WorkerManager.create({ core: loadAddon(), host }, { banks: [{ bankId: 'math', script: math, workerCount: 2, prefetch: 0 }] });
  managers.push(manager);
  return manager;
}

const completed = (manager: WorkerManager) => manager.getWorkerStatus().map((w) => w.tasksCompleted);

describe('a script bank starting', () => {
  it('takes requests once one worker is ready, and gives none to a worker still starting', async () => {
    const { host, release } = holdingHost(['math#1']);
    const manager = await create(host);
    expect(manager.getWorkerStatus().map((w) => w.alive)).toEqual([true, false]);
    const sums = await Promise.all([1, 2, 3, 4].map((a) => manager.submitRequest('slowAdd', { a, b: 1, ms: 5 })));
    expect(sums).toEqual([2, 3, 4, 5].map((result) => ({ result })));
    expect(completed(manager)).toEqual([4, 0]);

    release();
    await expect.poll(() => manager.getWorkerStatus()[1]?.alive).toBe(true);
    await Promise.all([1, 2, 3, 4].map((a) => manager.submitRequest('slowAdd', { a, b: 1, ms: 20 })));
    const [first, second] = completed(manager);
    expect(first! + second!).toBe(8);
    expect(second).toBeGreaterThan(0);
    // Joining is a first start, not a replacement.
    expect(manager.getWorkerStatus().map((w) => w.restarts)).toEqual([0, 0]);
  });

  it('retries a worker that fails to start after the bank is up, like a replacement', async () => {
    // math#1's first start fails, reported only once the bank is up (a failure before any
    // worker is ready fails the bank instead, as the last case shows).
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let starts = 0;
    const host: ScriptHost = (script, options) => {
      if (options.name !== 'math#1' || starts++ > 0) return nodeScriptHost(script, options);
      const failing = nodeScriptHost(new URL('./fixtures/throws-at-load.mjs', import.meta.url), options);
      return { ...failing, ready: gate.then(() => failing.ready) };
    };
    const manager = await create(host);
    release();
    await expect.poll(() => manager.getWorkerStatus().map((w) => w.alive), { timeout: 5_000 }).toEqual([true, true]);
    expect(starts).toBe(2);
    await expect(manager.submitRequest('add', { a: 1, b: 2 })).resolves.toEqual({ result: 3 });
  });

  // Shutting down terminates the workers still starting, mid-load. (Loading scripts with
  // require() once made Node abort the whole process when that happened.)
  it('shuts down at once after the first result, with workers still starting', async () => {
    for (let round = 0; round < 5; round++) {
      const manager = await WorkerManager.create({ core: loadAddon(), host: nodeScriptHost }, { banks: [{ bankId: 'math', script: math, workerCount: 3 }] });
      await expect(manager.submitRequest('add', { a: round, b: 1 })).resolves.toEqual({ result: round + 1 });
      await manager.shutdown();
    }
  });

  it('still rejects when the script fails in every worker', async () => {
    const host: ScriptHost = (_script, options) => nodeScriptHost(new URL('./fixtures/throws-at-load.mjs', import.meta.url), options);
    await expect(create(host)).rejects.toMatchObject({ code: 'E_WORKER_CRASHED' });
  });
});
