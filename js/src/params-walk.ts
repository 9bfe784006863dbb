/**
 * One walk over what a caller submits (params, or a bank's manifest) that checks it and,
 * where a limit applies, measures and copies it, reading each property once. With a limit,
 * what is sent is the copy: the JSON text a native action's params cross as is made from it,
 * and a script action's payload is posted as it. So a getter is read once, and the value
 * measured against `maxPayloadBytes` is the value sent (a getter that returned a small value
 * to a separate measuring pass could return a large one to the send). Without a limit the
 * value is checked where it is and sent as it is: copying every submit's params cost an
 * allocation per request on the hot path, and a getter that answers differently at the send
 * fails that request there.
 *
 * The rules are the native conversion's (node-addon/convert.cc) and the core's
 * (core/src/manifest.cc, check_keys), with the same messages, so a script action refuses
 * what a native one refuses, in the same words, on every backend, before anything crosses:
 * - values nested deeper than 64 levels, and cycles;
 * - functions and symbols, and values structured clone cannot copy (promises, weak
 *   collections); BigInts where the value crosses as JSON;
 * - the keys `__proto__`, `constructor` and `prototype`;
 * - a property whose read throws (a getter, a Proxy's trap): refused with what it threw.
 *
 * The size counts the value as JSON text: a string its length plus its quotes (escapes not
 * counted), a number the length of its text, an array's holes as `null` (JSON.stringify
 * sends them so), typed arrays and ArrayBuffers their byte length. The walk stops as soon as
 * the count passes the limit, so a sparse array of length 3e7 is refused after reading as
 * many of its slots as the limit allows, never built into text.
 *
 * A copy that is plain data (plain objects and arrays of strings, numbers, booleans, null)
 * crosses to the core as JSON text: one string is one N-API call, where walking an object
 * costs several per property (a closed loop of tiny native tasks spent a fifth of its
 * main-thread time converting `{a, b}`). The text is read back by
 * bindings/shared/json_text.cc. Anything else (typed arrays, which cross as bytes; dates and
 * other instances, which JSON.stringify would turn into something else) crosses as the
 * value itself.
 */
import { describe, ThreadbankError, type ErrorCode } from './errors.js';

/** Deepest nesting the core converts (MAX_DEPTH in node-addon/convert.cc). */
export const MAX_DEPTH = 64;

/** Thrown inside the walk when the count passes the limit; turned into E_PAYLOAD_TOO_LARGE. */
const OVER_LIMIT = Symbol('over the limit');

/** Thrown inside the walk for a value that cannot be sent; the path is built on the way out. */
class Refusal {
  /** Keys and indices from the root to the refused value, filled in as the walk unwinds. */
  readonly path: (string | number)[] = [];
  constructor(
    /** The native conversion's shape ("... but params.x is a function") or check_keys' ("expected a key other than x"). */
    readonly kind: 'cannot-cross' | 'forbidden-key',
    readonly received: string,
    readonly cause?: unknown,
  ) {}
}

/** Builds of JS without these (older engines) simply have none to refuse. */
const UNCLONEABLE: (abstract new (...args: never[]) => unknown)[] = [Promise, WeakMap, WeakSet];
if (typeof WeakRef === 'function') UNCLONEABLE.push(WeakRef);

export interface WalkRules {
  /** Where the value sits, for messages: 'params' or 'manifest'. */
  root: string;
  /** The code for a value that cannot be sent. */
  code: ErrorCode;
  /** check_keys' message prefix, given the action ('invalid params for echo', 'invalid manifest'). */
  label(action: string): string;
  /** The value crosses as JSON (a BigInt cannot); else it is posted by structured clone. */
  asJson: boolean;
  /** Most bytes the value may count; 0 for no limit. */
  limitBytes: number;
  /**
   * Only measure, refusing nothing but a size over the limit: for what was cloned already
   * (a script worker's result may hold cycles, deep nesting or any key). Nothing is copied.
   */
  measureOnly?: boolean;
}

/**
 * Reused for every submission (one per manager): `take` returns the copy and leaves the size
 * in `bytes` and whether the copy is plain data (objects, arrays and primitives only) in
 * `plain`, so a submit allocates nothing beyond the copy itself.
 */
export class ParamsWalk {
  /** The size of the last value taken, as JSON text (see the header); 0 when not measured. */
  bytes = 0;
  /** The last copy holds only plain objects, arrays and primitives (it may cross as JSON text). */
  plain = true;
  private limit = Infinity;
  private measuring = false;
  /** Applying the rules above (not measureOnly). */
  private checking = true;
  /** Making the copy that is sent: only when measuring (see copyAny), never for measureOnly. */
  private copying = false;
  private asJson = true;
  /**
   * The objects from the root (kept apart, in `root`) to where the walk is: one met again is
   * a cycle, refused as such (measured as JSON it would pass any limit long before the depth
   * limit caught it). The root is not pushed: flat params ({a, b}) never touch the stack.
   */
  private readonly ancestors: object[] = [];
  private root: unknown = undefined;

  /**
   * Checks, measures and copies `value`; throws a ThreadbankError for what cannot be sent.
   * `rules` is meant to be made once (a submit allocates nothing for it); `action` names
   * what the value is for, in messages.
   */
  take(value: unknown, rules: WalkRules, action = ''): unknown {
    this.bytes = 0;
    this.plain = true;
    this.measuring = rules.limitBytes > 0;
    this.limit = this.measuring ? rules.limitBytes : Infinity;
    this.checking = rules.measureOnly !== true;
    this.copying = this.measuring && this.checking;
    this.asJson = rules.asJson;
    this.ancestors.length = 0;
    this.root = value;
    try {
      const copy = this.copy(value, 0);
      this.root = undefined; // held no longer than the walk
      return copy;
    } catch (error) {
      this.root = undefined;
      this.ancestors.length = 0;
      if (error === OVER_LIMIT) {
        throw new ThreadbankError('E_PAYLOAD_TOO_LARGE', `expected ${rules.root} of at most ${rules.limitBytes} bytes but received more than ${rules.limitBytes}`);
      }
      const refusal = error instanceof Refusal ? error : new Refusal('cannot-cross', threw(error), error);
      const path = spell(rules.root, refusal.path);
      if (refusal.kind === 'forbidden-key') {
        throw new ThreadbankError(rules.code, `${rules.label(action)}: ${path}: expected a key other than ${refusal.received}`);
      }
      const message = `expected JSON-compatible data for ${rules.root} but ${path} is ${refusal.received}`;
      throw new ThreadbankError(rules.code, message, refusal.cause === undefined ? {} : { cause: refusal.cause });
    }
  }

  private add(bytes: number): void {
    this.bytes += bytes;
    if (this.bytes > this.limit) throw OVER_LIMIT;
  }

  private copy(value: unknown, depth: number): unknown {
    if (depth > MAX_DEPTH && this.checking) throw new Refusal('cannot-cross', 'nested deeper than 64 levels (or circular)');
    switch (typeof value) {
      case 'string':
        if (this.measuring) this.add(value.length + 2);
        return value;
      case 'number':
        // The number's JSON text (non-finite ones are written as null).
        if (this.measuring) this.add(Number.isFinite(value) ? String(value).length : 4);
        return value;
      case 'boolean':
        if (this.measuring) this.add(value ? 4 : 5);
        return value;
      case 'undefined':
        return value;
      case 'function':
        throw new Refusal('cannot-cross', 'a function');
      case 'symbol':
        throw new Refusal('cannot-cross', 'a symbol');
      case 'bigint':
        if (this.asJson) throw new Refusal('cannot-cross', 'a BigInt');
        if (this.measuring) this.add(String(value).length);
        return value;
      default:
        if (value === null) {
          if (this.measuring) this.add(4);
          return value;
        }
        return this.copyObject(value as object, depth);
    }
  }

  private copyObject(value: object, depth: number): unknown {
    if (depth === 0) return this.copyAny(value, depth);
    const ancestors = this.ancestors;
    if (value === this.root || ancestors.includes(value)) {
      if (this.checking) throw new Refusal('cannot-cross', 'circular (it contains itself)');
      // Measured only: a reference back counts as a value, not as its contents again.
      if (this.measuring) this.add(4);
      return value;
    }
    ancestors.push(value);
    // A throw leaves the stack as it is: take() empties it before the next walk.
    const copy = this.copyAny(value, depth);
    ancestors.pop();
    return copy;
  }

  private copyAny(value: object, depth: number): unknown {
    if (Array.isArray(value)) return this.copyArray(value, depth);
    const prototype = Object.getPrototypeOf(value) as object | null;
    if (prototype === Object.prototype || prototype === null) {
      // Copied only when measured: then what was measured is what is sent. Otherwise checked
      // where it is, sparing an allocation per submit; a getter that answers differently
      // when the value is sent fails that request there (it cannot be cloned or converted).
      if (this.copying) return this.copyFields(value as Record<string, unknown>, {}, depth);
      this.copyFields(value as Record<string, unknown>, undefined, depth);
      return value;
    }
    // Not plain data: sent as it is (the addon converts it value by value, the wasm builds
    // with JSON.stringify, structured clone copies it), after the same checks.
    this.plain = false;
    if (ArrayBuffer.isView(value)) {
      if (this.measuring) this.add(value.byteLength);
      return value;
    }
    if (value instanceof ArrayBuffer || (typeof SharedArrayBuffer === 'function' && value instanceof SharedArrayBuffer)) {
      if (this.measuring) this.add(value.byteLength);
      return value;
    }
    for (const kind of UNCLONEABLE) {
      if (value instanceof kind) throw new Refusal('cannot-cross', describe(value));
    }
    if (value instanceof Date) {
      if (this.measuring) this.add(26); // "YYYY-MM-DDTHH:mm:ss.sssZ" with its quotes
      return value;
    }
    if (value instanceof Map || value instanceof Set) {
      // Structured clone sends the entries: check and count them as an array's items.
      let i = 0;
      for (const entry of value instanceof Map ? value.entries() : value.values()) {
        try {
          this.copy(entry, depth + 1);
        } catch (error) {
          throw at(error, i);
        }
        i++;
      }
      if (this.measuring) this.add(i === 0 ? 2 : 1 + i);
      return value;
    }
    // Another instance: its own enumerable fields are what is sent.
    this.copyFields(value as Record<string, unknown>, undefined, depth);
    return value;
  }

  /** Checks and counts the own enumerable fields of `value`, copying them into `out` if given. */
  private copyFields(value: Record<string, unknown>, out: Record<string, unknown> | undefined, depth: number): unknown {
    let count = 0;
    // for-in walks only enumerable string keys, as JSON.stringify and structured clone read
    // them; on a plain object nothing is inherited (Object.prototype has no enumerable keys).
    for (const key in value) {
      if (out === undefined && !Object.prototype.hasOwnProperty.call(value, key)) continue;
      if (this.checking && (key === '__proto__' || key === 'constructor' || key === 'prototype')) {
        const refusal = new Refusal('forbidden-key', key);
        refusal.path.push(key);
        throw refusal;
      }
      let item: unknown;
      try {
        item = value[key];
        if (item === undefined) continue; // JSON.stringify leaves it out; so does the core
        let copied: unknown = item;
        if (this.measuring) {
          this.add(key.length + (count === 0 ? 3 : 4)); // "key": and a comma
          copied = this.copy(item, depth + 1);
        } else if (typeof item === 'object' || (typeof item !== 'number' && typeof item !== 'string' && typeof item !== 'boolean')) {
          // Primitives that need neither a check nor a count are taken as they are (the
          // common case: {a, b} costs a copy and no calls).
          copied = this.copy(item, depth + 1);
        }
        if (out !== undefined) out[key] = copied;
      } catch (error) {
        throw at(error, key);
      }
      count++;
    }
    if (this.measuring) this.add(2);
    return out;
  }

  private copyArray(value: unknown[], depth: number): unknown[] {
    const length = value.length;
    // Copied only when measured, checked in place otherwise (see copyAny).
    const out: unknown[] | undefined = this.copying ? [] : undefined;
    if (this.measuring) this.add(length === 0 ? 2 : 1 + length);
    for (let i = 0; i < length; i++) {
      try {
        const item: unknown = value[i];
        if (item !== undefined) {
          const copied = this.copy(item, depth + 1);
          if (out !== undefined) out[i] = copied;
        } else if (this.measuring) {
          // undefined and holes are written as null; the copy keeps a hole a hole (as
          // structured clone does).
          this.add(4);
          if (out !== undefined && i in value) out[i] = item;
        }
      } catch (error) {
        throw at(error, i);
      }
    }
    if (out === undefined) return value;
    out.length = length;
    return out;
  }
}

/** `error`, thrown from inside the value at `key`, with that key added to its path. */
function at(error: unknown, key: string | number): unknown {
  if (error === OVER_LIMIT) return error;
  const refusal = error instanceof Refusal ? error : new Refusal('cannot-cross', threw(error), error);
  refusal.path.unshift(key);
  return refusal;
}

/** What a read that threw is described as, in "... but params.x is <this>". */
function threw(error: unknown): string {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : describe(error);
  return `unreadable (reading it threw ${message})`;
}

/** The path as the native conversion spells it: params.a[3].b. */
function spell(root: string, path: readonly (string | number)[]): string {
  let out = root;
  for (const step of path) out += typeof step === 'number' ? `[${step}]` : `.${step}`;
  return out;
}
