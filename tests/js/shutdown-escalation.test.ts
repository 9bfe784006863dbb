// shutdown({ drain: false }) during a drain cancels what is left instead of waiting for it;
// both calls' promises resolve once everything settled (docs/guarantees.md, Shutdown).
import { describe, expect, it } from 'vitest';

import { backends } from './backends.js';

describe.each(backends)('shutdown escalation ($name)', (backend) => {
  it('cancels the queued rest with E_SHUTTING_DOWN when asked again without drain', async () => {
    // One worker, one attempt at a time, none held ahead: the rest wait in the core's queue.
    const manager = await backend.createWorkerManager({ banks: [{ bankId: 'math', script: backend.fixture('math'), workerCount: 1, prefetch: 0 }] });
    const requests = Array.from({ length: 4 }, () => manager.submitRequest('slowAdd', { a: 1, b: 2, ms: 200 }));
    const outcomes = Promise.allSettled(requests);
    // The first has reached its worker before shutdown begins.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const draining = manager.shutdown();
    const escalated = manager.shutdown({ drain: false });
    await expect(Promise.all([draining, escalated])).resolves.toEqual([undefined, undefined]);
    const settled = await outcomes;
    expect(settled[0]).toEqual({ status: 'fulfilled', value: { result: 3 } });
    for (const rest of settled.slice(1)) expect(rest).toMatchObject({ status: 'rejected', reason: { code: 'E_SHUTTING_DOWN' } });
    expect(manager.getSystemMetrics().completedRequests).toBe(1);
  });
});
