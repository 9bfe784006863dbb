import { afterEach, describe, expect, it } from 'vitest';

import type { WorkerManager } from '../../dist/cjs/index.js';
import { backends } from './backends.js';

/** Parses Prometheus text into name{labels} -> value, and the HELP/TYPE lines seen. */
function parsePrometheus(text: string) {
  const samples = new Map<string, number>();
  const types = new Map<string, string>();
  const helps = new Set<string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const help = /^# HELP (\S+) .+$/.exec(line);
    if (help) {
      helps.add(help[1]!);
      continue;
    }
    const type = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (\S+)$/.exec(line);
    if (!sample) throw new Error(`not a Prometheus line: ${line}`);
    samples.set(`${sample[1]}{${sample[2]}}`, Number(sample[3]));
  }
  return { samples, types, helps };
}

describe.each(backends)('metrics, worker status and Prometheus ($name)', (backend) => {
  let manager: WorkerManager | undefined;
  afterEach(async () => {
    await manager?.shutdown({ drain: false });
    manager = undefined;
  });

  it('counts what happened, and the counters add up', async () => {
    manager = await backend.createWorkerManager({ banks: [{ bankId: 'n', builtin: 'basic', workerCount: 2 }] });
    const ok = Array.from({ length: 30 }, (_, i) => manager!.submitRequest('add', { a: i, b: 1 }));
    const bad = Array.from({ length: 10 }, () => manager!.submitRequest('fail', {}, { retries: 0 }).catch(() => 'failed'));
    await Promise.all([...ok, ...bad]);
    const m = manager.getSystemMetrics();
    expect(m.totalRequests).toBe(40);
    expect(m.completedRequests).toBe(30);
    expect(m.failedRequests).toBe(10);
    expect(m.successRate).toBeCloseTo(0.75, 5);
    expect(m.queueDepth).toBe(0);
    expect(m.inFlight).toBe(0);
    expect(m.processingTime.count).toBe(40);
    expect(m.processingTime.p50Ms).toBeLessThanOrEqual(m.processingTime.p95Ms);
    expect(m.processingTime.p95Ms).toBeLessThanOrEqual(m.processingTime.p99Ms);
    const workers = manager.getWorkerStatus();
    expect(workers).toHaveLength(2);
    expect(workers.reduce((n, w) => n + w.tasksCompleted, 0)).toBe(30);
    expect(workers.reduce((n, w) => n + w.tasksFailed, 0)).toBe(10);
    expect(workers.every((w) => w.workerId.startsWith('n#') && !w.busy)).toBe(true);
  });

  it('exposes the same numbers as Prometheus text', async () => {
    manager = await backend.createWorkerManager({ name: 'prom', banks: [{ bankId: 'n', builtin: 'basic', workerCount: 2 }] });
    await Promise.all(Array.from({ length: 12 }, (_, i) => manager!.submitRequest('add', { a: i, b: 1 })));
    await manager.submitRequest('fail', {}, { retries: 0 }).catch(() => undefined);
    const { samples, types, helps } = parsePrometheus(manager.metricsText());
    const m = manager.getSystemMetrics();
    expect(samples.get('threadbank_requests_submitted_total{manager="prom"}')).toBe(m.totalRequests);
    expect(samples.get('threadbank_requests_finished_total{manager="prom",status="completed"}')).toBe(12);
    expect(samples.get('threadbank_requests_finished_total{manager="prom",status="failed"}')).toBe(1);
    expect(samples.get('threadbank_processing_duration_seconds_count{manager="prom"}')).toBe(13);
    expect(samples.get('threadbank_processing_duration_seconds_bucket{manager="prom",le="+Inf"}')).toBe(13);
    // Bucket bounds read as people write them in selectors.
    expect(samples.has('threadbank_processing_duration_seconds_bucket{manager="prom",le="0.00025"}')).toBe(true);
    for (const w of manager.getWorkerStatus()) {
      expect(samples.get(`threadbank_worker_tasks_total{manager="prom",bank="n",worker="${w.workerId}",outcome="completed"}`)).toBe(w.tasksCompleted);
    }
    for (const [name, type] of types) {
      expect(helps.has(name)).toBe(true);
      if (type === 'counter') expect(name).toMatch(/_total$/);
    }
  });

  it('keeps several managers in one process apart', async () => {
    const a = await backend.createWorkerManager({ banks: [{ bankId: 'n', builtin: 'basic' }] });
    const b = await backend.createWorkerManager({ banks: [{ bankId: 'n', builtin: 'basic' }] });
    try {
      await Promise.all([a.submitRequest('add', { a: 1, b: 1 }), a.submitRequest('add', { a: 1, b: 1 }), b.submitRequest('add', { a: 2, b: 2 })]);
      expect(a.getSystemMetrics().totalRequests).toBe(2);
      expect(b.getSystemMetrics().totalRequests).toBe(1);
    } finally {
      await Promise.all([a.shutdown(), b.shutdown()]);
    }
  });
});

describe.each(backends)('shutdown ($name)', (backend) => {
  it('with drain, runs what is queued, then refuses new requests', async () => {
    const manager = await backend.createWorkerManager({ banks: [{ bankId: 'n', builtin: 'basic', workerCount: 1 }] });
    const queued = Array.from({ length: 5 }, () => manager.submitRequest('sleep', { ms: 5 }));
    await manager.shutdown({ drain: true });
    await expect(Promise.all(queued)).resolves.toHaveLength(5);
    await expect(manager.submitRequest('add', { a: 1, b: 1 })).rejects.toMatchObject({ code: 'E_SHUTTING_DOWN' });
    expect(manager.getSystemMetrics().completedRequests).toBe(5);
  });

  it('without drain, cancels what is queued with E_SHUTTING_DOWN', async () => {
    const manager = await backend.createWorkerManager({ banks: [{ bankId: 'n', builtin: 'basic', workerCount: 1 }] });
    const running = manager.submitRequest('sleep', { ms: 30 });
    const queued = Array.from({ length: 5 }, () => manager.submitRequest('add', { a: 1, b: 1 }).catch((e: { code: string }) => e.code));
    await Promise.resolve();
    await manager.shutdown({ drain: false });
    await expect(running).resolves.toBeDefined();
    expect(await Promise.all(queued)).toEqual(Array(5).fill('E_SHUTTING_DOWN'));
  });
});
