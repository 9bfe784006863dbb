import { afterEach, describe, expect, it } from 'vitest';

import type { WorkerManager } from '../../dist/cjs/index.js';
import { backends } from './backends.js';

describe.each(backends)('routing ($name)', (backend) => {
  let manager: WorkerManager | undefined;
  afterEach(async () => {
    await manager?.shutdown({ drain: false });
    manager = undefined;
  });

  it('runs a native action and resolves with its result', async () => {
    manager = await backend.createWorkerManager({ banks: [{ bankId: 'native', builtin: 'basic', workerCount: 2 }] });
    await expect(manager.submitRequest('add', { a: 4, b: 6 })).resolves.toEqual({ result: 10 });
    await expect(manager.submitRequest('echo', { text: 'hi', list: [1, 2] })).resolves.toEqual({ text: 'hi', list: [1, 2] });
  });

  it('rejects an unknown task at submit time and queues nothing', async () => {
    manager = await backend.createWorkerManager({ banks: [{ bankId: 'native', builtin: 'basic' }] });
    const error = await manager.submitRequest('no-such-task', {}).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ThreadbankError', code: 'E_UNKNOWN_TASK' });
    const metrics = manager.getSystemMetrics();
    expect(metrics.totalRequests).toBe(0);
    expect(metrics.rejectedRequests).toBe(1);
  });

  it('routes an alias registered with registerTask', async () => {
    manager = await backend.createWorkerManager({ banks: [{ bankId: 'native', builtin: 'basic' }] });
    manager.registerTask('sum', 'native', 'add');
    await expect(manager.submitRequest('sum', { a: 1, b: 2 })).resolves.toEqual({ result: 3 });
    expect(() => manager!.registerTask('x', 'native', 'nope')).toThrowError(expect.objectContaining({ code: 'E_UNKNOWN_TASK' }));
    expect(() => manager!.registerTask('x', 'nobank', 'add')).toThrowError(expect.objectContaining({ code: 'E_UNKNOWN_BANK' }));
  });

  it('pins a request to a bank with bankId and rejects a bank that cannot run the task', async () => {
    manager = await backend.createWorkerManager({
      banks: [
        { bankId: 'a', builtin: 'basic' },
        { bankId: 'b', builtin: 'basic' },
      ],
    });
    const id = await new Promise<number>((resolve) => {
      manager!.on('request-completed', (event) => resolve(event.requestId!));
      void manager!.submitRequest('add', { a: 1, b: 1 }, { bankId: 'b' });
    });
    expect(manager.getRequestLifecycle(id)?.bankId).toBe('b');
    await expect(manager.submitRequest('add', { a: 1, b: 1 }, { bankId: 'zzz' })).rejects.toMatchObject({ code: 'E_UNKNOWN_BANK' });
  });

  it('spreads requests over banks that serve the same task', async () => {
    manager = await backend.createWorkerManager({
      banks: [
        { bankId: 'a', builtin: 'basic' },
        { bankId: 'b', builtin: 'basic' },
      ],
    });
    await Promise.all(Array.from({ length: 20 }, () => manager!.submitRequest('sleep', { ms: 2 })));
    const byBank = manager.queryRequests({ pagination: { limit: 100 } }).items.map((r) => r.bankId);
    expect(byBank.filter((b) => b === 'a').length).toBeGreaterThan(0);
    expect(byBank.filter((b) => b === 'b').length).toBeGreaterThan(0);
  });
});
