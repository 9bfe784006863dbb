// The browser build lets the page run between the steps of start-up and shutdown (see
// Platform.yieldToHost in js/src/manager.ts); here the same manager over the addon, with a
// yield that counts, in Node only (the step order does not depend on the core).
import { describe, expect, it } from 'vitest';

import { WorkerManager } from '../../dist/cjs/index.js';
import { loadAddon } from '../../dist/cjs/node/addon.js';
import { nodeScriptHost } from '../../dist/cjs/node/host.js';
import { warmUp } from '../../dist/cjs/warm-up.js';
import { loadWasmModule } from '../../dist/cjs/wasm/load-node.js';
import { warmUpOffThread } from '../../dist/cjs/wasm/warm-up-thread.js';

describe('start-up and shutdown in steps (the browser build yields to the page between them)', () => {
  it('calls yieldToHost before each bank starts and between the steps of shutdown', async () => {
    let yields = 0;
    const yieldToHost = async () => {
      yields += 1;
      await new Promise((resolve) => setImmediate(resolve));
    };
    const manager = await WorkerManager.create(
      { core: loadAddon(), host: nodeScriptHost, yieldToHost },
      { banks: [{ bankId: 'a', builtin: 'basic' }, { bankId: 'b', builtin: 'basic' }] },
    );
    expect(yields).toBe(2); // one before each bank
    await expect(manager.submitRequest('add', { a: 1, b: 2 })).resolves.toBeDefined();
    yields = 0;
    await manager.shutdown();
    // After the drain, after the final numbers, after the workers stopped; the engine closes last.
    expect(yields).toBe(3);
    expect(manager.getSystemMetrics().completedRequests).toBe(1);
  });
});

describe('the browser build warms a fresh core up before its first manager (js/src/warm-up.ts)', () => {
  it('takes requests through a scratch manager, each hop to and from its worker in a task of its own', async () => {
    let yields = 0;
    const yieldToHost = async () => {
      yields += 1;
      await new Promise((resolve) => setImmediate(resolve));
    };
    // Typed params cross into the core (checked there), untyped ones stay in JavaScript.
    await expect(warmUp(loadAddon(), yieldToHost)).resolves.toEqual([{ a: 4 }, { b: [6] }]);
    // Start-up, shutdown, and at least: init, ready, the batch of runs, their results.
    expect(yields).toBeGreaterThanOrEqual(6);
  });

  it('leaves the core as it found it: a manager made after it starts from nothing', async () => {
    const core = loadAddon();
    await warmUp(core, () => new Promise((resolve) => setImmediate(resolve)));
    const manager = await WorkerManager.create({ core, host: nodeScriptHost }, { banks: [{ bankId: 'a', builtin: 'basic' }] });
    try {
      await manager.submitRequest('add', { a: 1, b: 2 });
      expect(manager.getSystemMetrics().completedRequests).toBe(1);
      expect(new Set(manager.getWorkerStatus().map((w) => w.bankId))).toEqual(new Set(['a']));
      expect(manager.queryRequests({}).total).toBe(1);
    } finally {
      await manager.shutdown();
    }
  });
});

describe('the pthread build compiles the first manager\'s calls on a thread of its own (wasm/warm_up.cc)', () => {
  it('takes a scratch engine through create, submit, dispatch, settle, reads and close without an error', async () => {
    // '' when every call went through; the text of what failed otherwise.
    // A generous wait: the 1 s default is for pages, and this machine may be busy.
    await expect(warmUpOffThread(await loadWasmModule(true), 10_000)).resolves.toBe('');
  });

  it('is absent from the build without threads, which resolves at once', async () => {
    await expect(warmUpOffThread(await loadWasmModule(false))).resolves.toBeUndefined();
  });
});
