// Chaos: many requests with random crashes, heap-limit terminations, hangs, handler failures,
// retries and cancellations. At the end every promise has settled exactly once, nothing is
// pending, only requests that killed their worker were charged for it,
// and the manager's counters equal what the test observed.
import { describe, expect, it, vi } from 'vitest';

import type { ThreadbankError, WorkerManager } from '../../dist/cjs/index.js';
import { backends } from './backends.js';
import { random } from './random.js';

/** Overrides from the environment where there is one (Node); a page has none. */
const env: Record<string, string | undefined> = typeof process === 'undefined' ? {} : process.env;


/** Hostile runs are smaller: each death costs a worker start, which browsers make slow. */
const HOSTILE_SIZES: Record<string, number> = { 'node-addon': 10_000, 'wasm-threads': 5_000, 'wasm-nothreads': 5_000, 'chromium-isolated': 3_000, 'chromium-plain': 3_000 };

/**
 * What callers saw: each request's settlements, counted by outcome, to compare with the
 * manager's own counters at the end.
 */
class Observed {
  readonly settledTimes = new Map<number, number>();
  completed = 0;
  failed = 0;
  cancelled = 0;
  timedOut = 0;
  wrong = 0;

  /** Follows request `i`; `onFailure` sees each failure after it is counted. */
  track(i: number, request: Promise<unknown>, expected: unknown, onFailure?: (error: ThreadbankError) => void): Promise<void> {
    const settled = () => this.settledTimes.set(i, (this.settledTimes.get(i) ?? 0) + 1);
    return request.then(
      (value) => {
        settled();
        this.completed++;
        if (JSON.stringify(value) !== JSON.stringify(expected)) this.wrong++;
      },
      (error: ThreadbankError) => {
        settled();
        if (error.code === 'E_CANCELLED') this.cancelled++;
        else if (error.code === 'E_TIMEOUT') this.timedOut++;
        else if (error.code === 'E_HANDLER' || error.code === 'E_WORKER_CRASHED') this.failed++;
        else throw error;
        onFailure?.(error);
      },
    );
  }

  /** Every request settled once, with the right value, and the manager counted the same. */
  check(manager: WorkerManager, total: number): void {
    expect(this.settledTimes.size).toBe(total);
    expect([...this.settledTimes.values()].every((n) => n === 1)).toBe(true);
    expect(this.wrong).toBe(0);
    const m = manager.getSystemMetrics();
    expect(m.queueDepth).toBe(0);
    expect(m.inFlight).toBe(0);
    expect(m.completedRequests).toBe(this.completed);
    expect(m.failedRequests).toBe(this.failed);
    expect(m.cancelledRequests).toBe(this.cancelled);
    expect(m.timedOutRequests).toBe(this.timedOut);
    expect(m.totalRequests).toBe(total);
  }
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
    const observed = new Observed();
    let misblamed = 0;
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
        observed.track(i, request, expected, (error) => {
          // Only a request that kills its worker may be charged for a dead worker.
          if (error.code === 'E_WORKER_CRASHED' && mode !== 'crash' && mode !== 'oom') misblamed++;
        }),
      );
      if (controller) {
        if (next() < 0.5) controller.abort();
        else setTimeout(() => controller.abort(), Math.floor(next() * 5));
      }
      // Yield now and then, so cancellations and crashes land in every state.
      if (i % 5_000 === 4_999) await new Promise((resolve) => setTimeout(resolve, 0));
    }
    await Promise.all(requests);
    observed.check(manager, total);
    expect(misblamed).toBe(0);
    // Every lost worker is replaced (the last one may still be starting).
    await vi.waitFor(() => expect(manager.getWorkerStatus().every((w) => w.alive)).toBe(true), { timeout: 10_000 });
    const restarts = manager.getWorkerStatus().reduce((n, w) => n + w.restarts, 0);
    expect(restarts).toBeGreaterThan(0);
    await manager.shutdown();
  }, 120_000);

  it('settles every request exactly once with hostile workers in the mix, and never delivers a forged value', async () => {
    const total = Number(env.THREADBANK_HOSTILE_CHAOS_REQUESTS ?? HOSTILE_SIZES[backend.name] ?? 2_000);
    const seed = Number(env.THREADBANK_CHAOS_SEED ?? 20261208);
    const next = random(seed);
    const manager = await backend.createWorkerManager({
      maxQueue: 0,
      retryBaseMs: 1,
      historyLimit: 1_000,
      banks: [
        { bankId: 'hostile', script: chaos, workerCount: 2, manifest: { name: 'chaos', actions: [{ actionId: 'hostile', retryable: true }] } },
        { bankId: 'native', builtin: 'basic', workerCount: 1 },
      ],
    });
    const progress: unknown[] = [];
    manager.on('progress', (event) => progress.push(event.value));
    const modes = ['stray', 'getter', 'proxy', 'malformed', 'forge', 'exit'];
    const observed = new Observed();
    const requests: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const roll = next();
      const mode = roll < 0.01 ? modes[Math.floor(next() * modes.length)]! : 'ok';
      const controller = next() < 0.02 ? new AbortController() : undefined;
      const native = next() < 0.2;
      const request = native
        ? manager.submitRequest('add', { a: i, b: 1 }, { signal: controller?.signal })
        : manager.submitRequest('hostile', { mode, value: i }, { signal: controller?.signal, timeout: 5_000, retries: next() < 0.5 ? 0 : 1 });
      requests.push(observed.track(i, request, native ? { result: i + 1 } : i));
      if (controller) setTimeout(() => controller.abort(), Math.floor(next() * 5));
      if (i % 500 === 499) await new Promise((resolve) => setTimeout(resolve, 0));
    }
    await Promise.all(requests);
    observed.check(manager, total);
    expect(progress).not.toContain('forged');
    await manager.shutdown();
    expect(manager.getSystemMetrics().inFlight).toBe(0);
  }, 120_000);
});
