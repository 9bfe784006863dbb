// Params that cannot be sent are refused at submit, in the same call, with the same code and
// the same words whether a native action or a script action (with or without declared
// parameters) would run them, and nothing is counted or queued (docs/guarantees.md).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ThreadbankError, type SystemMetrics, type WorkerManager } from '../../dist/cjs/index.js';
import { backends } from './backends.js';

function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: 1 };
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
}

const circular: Record<string, unknown> = { a: 1 };
circular.self = { back: circular };

const throwingGetter = {
  ok: 1,
  get broken(): number {
    throw new Error('boom');
  },
};

/** [name, params] that neither kind of action may take. */
const BAD_PARAMS: [string, () => unknown][] = [
  ['a __proto__ key', () => JSON.parse('{"__proto__": {"polluted": true}}')],
  ['a constructor key, nested', () => ({ outer: [JSON.parse('{"constructor": 1}')] })],
  ['a prototype key', () => JSON.parse('{"list": [{"prototype": 2}]}')],
  ['nesting over 64 levels', () => nested(70)],
  ['a cycle', () => circular],
  ['a function', () => ({ outer: { fn: () => 1 } })],
  ['a symbol in an array', () => ({ list: [1, Symbol('x')] })],
  ['a promise', () => ({ pending: Promise.resolve(1) })],
  ['a WeakMap', () => ({ map: new WeakMap() })],
  ['a getter that throws', () => throwingGetter],
];

/** The numbers a refusal must leave alone. */
function totals(m: SystemMetrics): number[] {
  return [m.totalRequests, m.rejectedRequests, m.completedRequests, m.failedRequests, m.queueDepth, m.inFlight];
}

describe.each(backends)('params refused at submit, native and script alike ($name)', (backend) => {
  let native: WorkerManager;
  let script: WorkerManager;
  beforeAll(async () => {
    native = await backend.createWorkerManager({ banks: [{ bankId: 'native', builtin: 'basic', workerCount: 1 }] });
    // whoami declares no parameters: its params never cross into the core.
    script = await backend.createWorkerManager({ banks: [{ bankId: 'math', script: backend.fixture('math'), workerCount: 1 }] });
  });
  afterAll(() => Promise.all([native?.shutdown(), script?.shutdown()]));

  it.each(BAD_PARAMS)('refuses %s with the native code and message', async (_name, make) => {
    const before = [totals(native.getSystemMetrics()), totals(script.getSystemMetrics())];
    let scriptError: unknown;
    // Refused in the same call: the promise is rejected before any flush could run.
    const scriptPromise = script.submitRequest('whoami', make()).catch((e: unknown) => (scriptError = e));
    await Promise.resolve();
    await Promise.resolve();
    expect(scriptError).toBeInstanceOf(ThreadbankError);
    const nativeError = (await native.submitRequest('echo', make()).catch((e: unknown) => e)) as ThreadbankError;
    await scriptPromise;
    expect(nativeError).toBeInstanceOf(ThreadbankError);
    expect(nativeError.code).toBe('E_INVALID_PARAMS');
    expect((scriptError as ThreadbankError).code).toBe('E_INVALID_PARAMS');
    // The core names the action a key was refused for; otherwise the words are the same.
    expect((scriptError as ThreadbankError).message).toBe(nativeError.message.replace('for echo:', 'for whoami:'));
    expect([totals(native.getSystemMetrics()), totals(script.getSystemMetrics())]).toEqual(before);
  });

  it('names the whole path of what cannot cross, on every backend', async () => {
    const error = (await native.submitRequest('echo', { outer: [{ fn: () => 1 }] }).catch((e: unknown) => e)) as ThreadbankError;
    expect(error.code).toBe('E_INVALID_PARAMS');
    expect(error.message).toContain('params.outer[0].fn is a function');
    // JSON cannot carry a BigInt (structured clone can: a script action without declared
    // parameters takes one).
    const big = (await native.submitRequest('echo', { list: [1, { big: 10n }] }).catch((e: unknown) => e)) as ThreadbankError;
    expect(big.code).toBe('E_INVALID_PARAMS');
    expect(big.message).toContain('params.list[1].big is a BigInt');
  });
});
