// Chaos: many requests with random crashes, heap-limit terminations, hangs, handler failures,
// retries and cancellations. At the end every promise has settled exactly once, nothing is
// pending, only requests that killed their worker were charged for it,
// and the manager's counters equal what the test observed.
import { describe, expect, it, vi } from 'vitest';

import type { ThreadbankError } from '../../dist/cjs/index.js';
import { backends } from './backends.js';

/** Overrides from the environment where there is one (Node); a page has none. */
const env: Record<string, string | undefined> = typeof process === 'undefined' ? {} : process.env;

/** A small seeded generator, so a failing run can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SIZES: Record<string, number> = { 'node-addon': 100_000, 'wasm-threads': 20_000, 'wasm-nothreads': 10_000, 'chromium-isolated': 10_000, 'chromium-plain': 10_000 };

describe.each(backends)('chaos ($name)', (backend) => {
  const chaos = backend.fixture('chaos');
  // Only Node can cap a worker's heap and terminate it from outside at the cap.
  const node = backend.platform === 'node';
  it('settles every request exactly once and the metrics agree', async () => {
    const total = Number(env.THREADBANK_CHAOS_REQUESTS ?? SIZES[backend.name] ?? 10_000);
    const seed = Number(env.THREADBANK_CHAOS_SEED ?? 20261125);
    const next = random(seed);
    const manager = await backend.createWorkerManager({
      maxQueue: 0,
      retryBaseMs: 1,
      historyLimit: 1_000,
      cancelGraceMs: 20,
      banks: [
        {
          bankId: 'chaos',
          script: chaos,
          workerCount: 2,
          ...(node ? { resourceLimits: { maxOldGenerationSizeMb: 24, maxYoungGenerationSizeMb: 4 } } : {}),
          manifest: { name: 'chaos', actions: [{ actionId: 'work', retryable: true }] },
        },
        { bankId: 'native', builtin: 'basic', workerCount: 2 },
      ],
    });
    const settledTimes = new Map<number, number>();
    const observed = { completed: 0, failed: 0, cancelled: 0, timedOut: 0, wrong: 0, misblamed: 0 };
    const requests: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const roll = next();
      const mode = roll < 0.0002 ? (node ? 'oom' : 'crash') : roll < 0.0005 ? 'crash' : roll < 0.001 ? 'hang' : roll < 0.02 ? 'throw' : roll < 0.05 ? 'flaky' : roll < 0.06 ? 'slow' : 'ok';
      const controller = next() < 0.03 ? new AbortController() : undefined;
      const native = next() < 0.3;
      const request = native
        ? manager.submitRequest('add', { a: i, b: 1 }, { signal: controller?.signal })
        : manager.submitRequest('work', { mode, value: i }, { signal: controller?.signal, timeout: mode === 'hang' ? 50 : 5_000, retries: next() < 0.5 ? 0 : 2 });
      const expected = native ? { result: i + 1 } : i;
      requests.push(
        request.then(
          (value) => {
            settledTimes.set(i, (settledTimes.get(i) ?? 0) + 1);
            observed.completed++;
            if (JSON.stringify(value) !== JSON.stringify(expected)) observed.wrong++;
          },
          (error: ThreadbankError) => {
            settledTimes.set(i, (settledTimes.get(i) ?? 0) + 1);
            if (error.code === 'E_CANCELLED') observed.cancelled++;
            else if (error.code === 'E_TIMEOUT') observed.timedOut++;
            else if (error.code === 'E_HANDLER' || error.code === 'E_WORKER_CRASHED') observed.failed++;
            else throw error;
            // Only a request that kills its worker may be charged for a dead worker.
            if (error.code === 'E_WORKER_CRASHED' && mode !== 'crash' && mode !== 'oom') observed.misblamed++;
          },
        ),
      );
      if (controller) {
        if (next() < 0.5) controller.abort();
        else setTimeout(() => controller.abort(), Math.floor(next() * 5));
      }
      // Yield now and then, so cancellations and crashes land in every state.
      if (i % 5_000 === 4_999) await new Promise((resolve) => setTimeout(resolve, 0));
    }
    await Promise.all(requests);
    expect(settledTimes.size).toBe(total);
    expect([...settledTimes.values()].every((n) => n === 1)).toBe(true);
    expect(observed.wrong).toBe(0);
    expect(observed.misblamed).toBe(0);
    const m = manager.getSystemMetrics();
    expect(m.queueDepth).toBe(0);
    expect(m.inFlight).toBe(0);
    expect(m.completedRequests).toBe(observed.completed);
    expect(m.failedRequests).toBe(observed.failed);
    expect(m.cancelledRequests).toBe(observed.cancelled);
    expect(m.timedOutRequests).toBe(observed.timedOut);
    expect(m.totalRequests).toBe(total);
    // Every lost worker is replaced (the last one may still be starting).
    await vi.waitFor(() => expect(manager.getWorkerStatus().every((w) => w.alive)).toBe(true), { timeout: 10_000 });
    const restarts = manager.getWorkerStatus().reduce((n, w) => n + w.restarts, 0);
    expect(restarts).toBeGreaterThan(0);
    await manager.shutdown();
  }, 120_000);
});
