/**
 * One set of error codes on every platform. The core owns the list; the bindings export it
 * (`errorCodes`) and a test checks this union against it, so the two never drift.
 */
export type ErrorCode =
  | 'E_UNKNOWN_TASK'
  | 'E_UNKNOWN_BANK'
  | 'E_UNKNOWN_REQUEST'
  | 'E_DUPLICATE_BANK'
  | 'E_INVALID_PARAMS'
  | 'E_INVALID_MANIFEST'
  | 'E_INVALID_ARGUMENT'
  | 'E_QUEUE_FULL'
  | 'E_TIMEOUT'
  | 'E_CANCELLED'
  | 'E_WORKER_CRASHED'
  | 'E_SHUTTING_DOWN'
  | 'E_HANDLER'
  | 'E_PAYLOAD_TOO_LARGE'
  | 'E_INTERNAL';

export interface ThreadbankErrorOptions {
  requestId?: number;
  cause?: unknown;
  /** An error created where the caller called us (or its stack), so ours points at their line. */
  callerStack?: string | Error | undefined;
}

/**
 * Marks ThreadbankErrors of every copy of this module. A worker script's `threadbank/worker`
 * is its own ES module build (a worker thread starts faster without the CommonJS loader),
 * so in test mode, where that script runs in the test's thread, an error it throws comes
 * from a second class; `instanceof` goes by this mark, not by class identity.
 */
const BRAND = Symbol.for('threadbank.error');

/** Every rejection and throw from threadbank is one of these, with a stable `.code`. */
export class ThreadbankError extends Error {
  override readonly name = 'ThreadbankError';
  readonly code: ErrorCode;
  readonly requestId: number | undefined;

  static override [Symbol.hasInstance](value: unknown): boolean {
    // Subclasses (users may extend it) keep the usual prototype-chain test.
    if (this !== ThreadbankError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }

  constructor(code: ErrorCode, message: string, options: ThreadbankErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.requestId = options.requestId;
    const callerStack = options.callerStack instanceof Error ? options.callerStack.stack : options.callerStack;
    if (callerStack !== undefined) setCallerFrames(this, callerStack);
  }
}

Object.defineProperty(ThreadbankError.prototype, BRAND, { value: true });

/** Keeps the error's message line, then the frames of `stack` (whose own header line is dropped). */
function setCallerFrames(error: ThreadbankError, stack: string): void {
  const frames = stack.split('\n').slice(1).join('\n');
  error.stack = `${error.name} [${error.code}]: ${error.message}\n${frames}`;
}

/**
 * Gives `error` the stack of the code running now, from the caller of `above` outwards. Called
 * after an `await` in an async function, that stack is V8's async one: the chain of async
 * functions awaiting this one, i.e. the caller's line. Where there is no frame to take
 * (nobody awaits, or the engine keeps no async stacks) the error keeps the stack it was
 * made with.
 */
export function takeStackHere(error: ThreadbankError, above: (...args: never[]) => unknown): void {
  const capture = (Error as { captureStackTrace?: (target: object, above?: unknown) => void }).captureStackTrace;
  if (typeof capture !== 'function') return;
  const holder: { stack?: string } = {};
  capture(holder, above);
  // No frames (a caller that never awaits, or an engine without async stacks): the stack
  // where the error was made says more than an empty one.
  if (holder.stack !== undefined && holder.stack.includes('\n')) setCallerFrames(error, holder.stack);
}

export function isThreadbankError(value: unknown): value is ThreadbankError {
  return value instanceof ThreadbankError;
}

/** A short description of a value's type for "expected X but received Y" messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : `the number ${value}`;
  if (typeof value === 'string') {
    const shown = value.length > 40 ? `${value.slice(0, 40)}...` : value;
    return `the string ${JSON.stringify(shown)}`;
  }
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return 'a symbol';
  if (typeof value === 'bigint') return 'a BigInt';
  try {
    if (Array.isArray(value)) return 'an array';
    const proto = Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null;
    if (proto === null || proto === Object.prototype) return 'an object';
    const name = proto.constructor?.name;
    return typeof name === 'string' && name !== '' && name !== 'Object' ? `an instance of ${name}` : 'an object with a prototype other than Object.prototype';
  } catch {
    // A Proxy whose traps throw (or a revoked one): describing a value must never throw.
    return 'an object that cannot be inspected (a Proxy whose traps throw)';
  }
}

export function invalidArgument(what: string, expected: string, received: unknown): ThreadbankError {
  return new ThreadbankError('E_INVALID_ARGUMENT', `Expected ${expected} for ${what} but received ${describe(received)}`);
}

/** Wraps an error thrown by a binding (a plain Error with `.code`) as a ThreadbankError. */
export function fromBindingError(error: unknown, options: ThreadbankErrorOptions = {}): ThreadbankError {
  if (error instanceof ThreadbankError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  const known = typeof code === 'string' && code.startsWith('E_') ? (code as ErrorCode) : 'E_INTERNAL';
  return new ThreadbankError(known, message, options);
}
