// A bank none of whose workers can be started any more is stopped by the core: what it had
// fails with E_WORKER_CRASHED, it shows 'stopped', and it takes nothing new (Node only: the
// fixture keeps a marker file).
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import type { ManagerEvent, ThreadbankError, WorkerManager } from '../../dist/cjs/index.js';
import { backends } from './backends.js';

const marker = join(tmpdir(), `threadbank-breaks-after-start-${process.pid}`);

describe.each(backends)('a bank that cannot start its workers again ($name)', (backend) => {
  let manager: WorkerManager | undefined;
  afterEach(async () => {
    await manager?.shutdown({ drain: false });
    manager = undefined;
    rmSync(marker, { force: true });
  });

  it('is stopped: its requests fail with E_WORKER_CRASHED and new ones are refused', async () => {
    rmSync(marker, { force: true });
    manager = await backend.createWorkerManager({ banks: [{ bankId: 'b', script: backend.fixture('breaks-after-start') }] });
    const m = manager;
    const states: unknown[] = [];
    m.on('bank-status', (event: ManagerEvent) => states.push(event.state));
    const crash = m.submitRequest('exit', {}).catch((e: ThreadbankError) => e.code);
    const waiting = Array.from({ length: 3 }, () => m.submitRequest('sleep', { ms: 1 }).catch((e: ThreadbankError) => e.code));
    expect(await crash).toBe('E_WORKER_CRASHED');
    expect(await Promise.all(waiting)).toEqual(['E_WORKER_CRASHED', 'E_WORKER_CRASHED', 'E_WORKER_CRASHED']);
    expect(m.getBanks()[0]!.status).toBe('stopped');
    expect(states).toContain('stopped');
    await expect(m.submitRequest('sleep', { ms: 1 })).rejects.toMatchObject({ code: 'E_SHUTTING_DOWN' });
    const metrics = m.getSystemMetrics();
    expect(metrics.queueDepth + metrics.inFlight).toBe(0);
  }, 30_000);
});
