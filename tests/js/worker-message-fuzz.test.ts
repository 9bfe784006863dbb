// Fuzzes the decoder every host runs on a worker's messages (decodeWorkerMessage): random
// values near the protocol's shapes, with throwing getters, Proxies and wrong types mixed
// in. It must never throw, and what it accepts must have the protocol's shape exactly.
import { describe, expect, it } from 'vitest';

import { decodeWorkerMessage, MAX_ATTEMPT } from '../../dist/cjs/protocol.js';
import { random } from './random.js';


const env: Record<string, string | undefined> = typeof process === 'undefined' ? {} : process.env;
const RUNS = Number(env.THREADBANK_DECODER_FUZZ_RUNS ?? 50_000);
const SEED = Number(env.THREADBANK_DECODER_FUZZ_SEED ?? 20261208);

function generator(next: () => number) {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const trap = () => {
    throw new Error('fuzz: trap');
  };
  const scalar = (): unknown =>
    pick([
      () => undefined,
      () => null,
      () => true,
      () => Math.floor(next() * 10),
      () => pick([0, -1, 1.5, NaN, Infinity, -Infinity, 2 ** 53, 2 ** 53 + 2, MAX_ATTEMPT, MAX_ATTEMPT + 1, 1e300]),
      () => pick(['', 'done', 'ready', 'progress', 'x'.repeat(100)]),
      () => 10n,
      () => Symbol('fuzz'),
      () => () => 1,
    ])();
  const hostile = (): unknown =>
    pick([
      () => new Proxy({}, { get: trap, has: trap, ownKeys: trap, getPrototypeOf: trap, getOwnPropertyDescriptor: trap }),
      () => Object.defineProperty({}, pick(['type', 'results', 'id', 'attempt', 'ok', 'error', 'actions', 'ms']), { get: trap, enumerable: true }),
      () => {
        const revocable = Proxy.revocable({}, {});
        revocable.revoke();
        return revocable.proxy;
      },
    ])();
  const value = (depth: number): unknown => {
    const roll = next();
    if (depth > 3 || roll < 0.45) return scalar();
    if (roll < 0.55) return hostile();
    if (roll < 0.7) return Array.from({ length: Math.floor(next() * 4) }, () => value(depth + 1));
    const object: Record<string, unknown> = {};
    for (let i = Math.floor(next() * 4); i > 0; i--) object[pick(['type', 'id', 'attempt', 'ok', 'value', 'error', 'ms', 'name', 'message', 'code', 'stack', 'results', 'actions', 'extra'])] = value(depth + 1);
    return object;
  };
  const result = (): unknown => {
    if (next() < 0.2) return value(2);
    const out: Record<string, unknown> = {
      id: next() < 0.8 ? 1 + Math.floor(next() * 1000) : scalar(),
      attempt: next() < 0.8 ? 1 + Math.floor(next() * 3) : scalar(),
      ok: next() < 0.8 ? next() < 0.5 : scalar(),
    };
    if (next() < 0.7) out.value = value(1);
    if (next() < 0.5) out.error = next() < 0.7 ? { name: 'Error', message: 'm', code: next() < 0.5 ? 'E_X' : scalar() } : value(1);
    if (next() < 0.5) out.ms = next() < 0.7 ? next() * 10 : scalar();
    return out;
  };
  /** Something near a real message most of the time, anything at all otherwise. */
  return (): unknown => {
    const roll = next();
    if (roll < 0.1) return value(0);
    if (roll < 0.15) return hostile();
    if (roll < 0.3) return { type: 'ready', actions: next() < 0.7 ? ['a', 'b'] : value(1) };
    if (roll < 0.45) return { type: 'progress', id: next() < 0.8 ? 7 : scalar(), attempt: next() < 0.8 ? 1 : scalar(), value: value(1) };
    return { type: next() < 0.9 ? 'done' : scalar(), results: next() < 0.9 ? Array.from({ length: Math.floor(next() * 4) }, result) : value(1) };
  };
}

const isId = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 1;
const isAttempt = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= MAX_ATTEMPT;

describe('worker message decoder (fuzzed)', () => {
  it(`never throws, and accepts only the protocol's shapes (${RUNS} inputs, seed ${SEED})`, () => {
    const input = generator(random(SEED));
    const counts = { accepted: 0, refused: 0 };
    for (let run = 0; run < RUNS; run++) {
      const raw = input();
      let decoded: ReturnType<typeof decodeWorkerMessage>;
      try {
        decoded = decodeWorkerMessage(raw);
      } catch (error) {
        throw new Error(`run ${run}: the decoder threw ${String(error)}`);
      }
      if ('problem' in decoded) {
        expect(typeof decoded.problem).toBe('string');
        counts.refused++;
        continue;
      }
      counts.accepted++;
      const { message } = decoded;
      if (message.type === 'ready') {
        expect(message.actions.every((a) => typeof a === 'string')).toBe(true);
      } else if (message.type === 'progress') {
        expect(isId(message.id) && isAttempt(message.attempt)).toBe(true);
      } else {
        expect(message.type).toBe('done');
        for (const result of message.results) {
          expect(isId(result.id) && isAttempt(result.attempt) && typeof result.ok === 'boolean').toBe(true);
          if (result.ms !== undefined) expect(typeof result.ms).toBe('number');
          if (!result.ok) expect(typeof result.error?.name === 'string' && typeof result.error.message === 'string').toBe(true);
        }
      }
      // What was accepted is accepted again: hosts may pass it on without checking again.
      expect('message' in decodeWorkerMessage(message)).toBe(true);
    }
    // The generator reaches both sides often.
    expect(counts.accepted).toBeGreaterThan(RUNS / 20);
    expect(counts.refused).toBeGreaterThan(RUNS / 20);
  });
});
