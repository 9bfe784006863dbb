// Bad options, signals, manifests and arguments give a ThreadbankError with a stable code
// (never a stray TypeError, never silently ignored), the same code on every backend.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ThreadbankError, type ErrorCode, type WorkerManager } from '../../dist/cjs/index.js';
import { backends, type Backend } from './backends.js';

const throwing = (fields: Record<string, unknown>, key: string): Record<string, unknown> =>
  Object.defineProperty({ ...fields }, key, {
    enumerable: true,
    get() {
      throw new Error(`reading ${key} failed`);
    },
  });

/** A Proxy whose every trap throws, over `target`. */
const hostile = (target: object): object =>
  new Proxy(target, {
    getPrototypeOf() {
      throw new Error('trap');
    },
    ownKeys() {
      throw new Error('trap');
    },
    get() {
      throw new Error('trap');
    },
    getOwnPropertyDescriptor() {
      throw new Error('trap');
    },
  });

function deep(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = {};
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
}

const circular: Record<string, unknown> = { note: 'x' };
circular.self = circular;

/** A script bank's options around `manifest` (the script is never started: the manifest is refused first). */
const withManifest = (backend: Backend, action: Record<string, unknown>) => ({
  banks: [{ bankId: 'm', script: backend.fixture('math'), manifest: { name: 'm', actions: [action] } }],
});

/** [name, options for createWorkerManager, code, text the message must contain]. */
const managerCases = (backend: Backend): [string, unknown, ErrorCode, string][] => [
  ['an unknown manager option', { timout: 5 }, 'E_INVALID_ARGUMENT', 'timout'],
  ['an unknown bank option', { banks: [{ bankId: 'n', builtin: 'basic', wokerCount: 2 }] }, 'E_INVALID_ARGUMENT', 'wokerCount'],
  ['a manager option whose getter throws', throwing({}, 'maxQueue'), 'E_INVALID_ARGUMENT', 'options.maxQueue'],
  ['a bank option whose getter throws', { banks: [throwing({ bankId: 'n', builtin: 'basic' }, 'workerCount')] }, 'E_INVALID_ARGUMENT', 'workerCount'],
  ['options that are a hostile Proxy', hostile({}), 'E_INVALID_ARGUMENT', 'options'],
  ['a bank that is a hostile Proxy', { banks: [hostile({ bankId: 'n', builtin: 'basic' })] }, 'E_INVALID_ARGUMENT', 'options.banks[0]'],
  ['a manifest nested too deep', withManifest(backend, { actionId: 'add', extra: deep(70) }), 'E_INVALID_MANIFEST', 'manifest.actions[0].extra'],
  ['a circular manifest', withManifest(backend, { actionId: 'add', extra: circular }), 'E_INVALID_MANIFEST', 'manifest.actions[0].extra'],
  ['a manifest holding a BigInt', withManifest(backend, { actionId: 'add', timeout: 10n }), 'E_INVALID_MANIFEST', 'manifest.actions[0].timeout'],
  ['a manifest whose getter throws', withManifest(backend, throwing({ actionId: 'add' }, 'description')), 'E_INVALID_MANIFEST', 'manifest.actions[0].description'],
  ['an unknown manifest key', { banks: [{ bankId: 'm', script: backend.fixture('math'), manifest: { name: 'm', actions: [{ actionId: 'add' }], defaultTimout: 5 } }] }, 'E_INVALID_MANIFEST', 'defaultTimout'],
  ['an unknown action key', withManifest(backend, { actionId: 'add', retryabel: true }), 'E_INVALID_MANIFEST', 'retryabel'],
  ['an unknown parameter key', withManifest(backend, { actionId: 'add', parameters: [{ name: 'a', requried: true }] }), 'E_INVALID_MANIFEST', 'requried'],
  ['a manifest that is a hostile Proxy', { banks: [{ bankId: 'm', script: backend.fixture('math'), manifest: hostile({}) }] }, 'E_INVALID_MANIFEST', 'manifest'],
];

describe.each(backends)('option validation ($name)', (backend) => {
  it.each(managerCases(backend))('refuses %s', async (_name, options, code, named) => {
    const result = await backend.createWorkerManager(options as never).catch((e: unknown) => e);
    if (!(result instanceof ThreadbankError)) {
      if (result !== null && typeof result === 'object' && 'shutdown' in result) await (result as WorkerManager).shutdown();
      expect.fail(`expected a ThreadbankError ${code} but received ${String(result)}`);
    }
    expect(result.code).toBe(code);
    expect(result.message).toContain(named);
  });

  describe('on a running manager', () => {
    let manager: WorkerManager;
    beforeAll(async () => {
      manager = await backend.createWorkerManager({ banks: [{ bankId: 'native', builtin: 'basic', workerCount: 1 }] });
    });
    afterAll(() => manager?.shutdown());

    const submitCases: [string, () => unknown, unknown, ErrorCode, string][] = [
      ['an unknown submit option', () => ({ a: 1, b: 2 }), { timout: 5 }, 'E_INVALID_ARGUMENT', 'timout'],
      ['a submit option whose getter throws', () => ({ a: 1, b: 2 }), throwing({}, 'priority'), 'E_INVALID_ARGUMENT', 'options.priority'],
      ['submit options that are a hostile Proxy', () => ({ a: 1, b: 2 }), hostile({}), 'E_INVALID_ARGUMENT', 'options'],
      ['a signal made from AbortSignal.prototype', () => ({ a: 1, b: 2 }), { signal: Object.create(AbortSignal.prototype) }, 'E_INVALID_ARGUMENT', 'options.signal'],
      ['a signal that is a hostile Proxy', () => ({ a: 1, b: 2 }), { signal: hostile(new AbortController().signal) }, 'E_INVALID_ARGUMENT', 'options.signal'],
      ['params whose getter throws', () => throwing({ a: 1 }, 'b'), undefined, 'E_INVALID_PARAMS', 'params.b'],
    ];
    it.each(submitCases)('refuses %s', async (_name, params, options, code, named) => {
      let error: unknown;
      try {
        error = await manager.submitRequest('add', params(), options as never).then(
          () => undefined,
          (e: unknown) => e,
        );
      } catch (thrown) {
        error = thrown; // thrown synchronously: also wrong, but reported below
      }
      expect(error).toBeInstanceOf(ThreadbankError);
      expect((error as ThreadbankError).code).toBe(code);
      expect((error as ThreadbankError).message).toContain(named);
    });

    const callCases: [string, (m: WorkerManager) => unknown, ErrorCode, string][] = [
      ['an unknown event name', (m) => m.on('unknown-event' as never, () => {}), 'E_INVALID_ARGUMENT', 'unknown-event'],
      ['a listener that is not a function', (m) => m.on('request-completed' as never, 'nope' as never), 'E_INVALID_ARGUMENT', 'listener'],
      ['a concurrency over the core limit', (m) => m.setConcurrency('native', 2 ** 32 + 1), 'E_INVALID_ARGUMENT', '4294967297'],
      ['a task named __proto__', (m) => m.registerTask('__proto__', 'native', 'echo'), 'E_INVALID_ARGUMENT', '__proto__'],
      ['a task named constructor', (m) => m.registerTask('constructor', 'native', 'echo'), 'E_INVALID_ARGUMENT', 'constructor'],
    ];
    it.each(callCases)('throws for %s', (_name, call, code, named) => {
      let error: unknown;
      try {
        call(manager);
      } catch (thrown) {
        error = thrown;
      }
      expect(error).toBeInstanceOf(ThreadbankError);
      expect((error as ThreadbankError).code).toBe(code);
      expect((error as ThreadbankError).message).toContain(named);
    });
  });

  it('refuses an unknown shutdown option', async () => {
    const manager = await backend.createWorkerManager({ banks: [{ bankId: 'native', builtin: 'basic', workerCount: 1 }] });
    const error = (await manager.shutdown({ drian: false } as never).catch((e: unknown) => e)) as ThreadbankError;
    await manager.shutdown();
    expect(error).toBeInstanceOf(ThreadbankError);
    expect(error.code).toBe('E_INVALID_ARGUMENT');
    expect(error.message).toContain('drian');
  });
});
