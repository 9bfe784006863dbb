/**
 * Argument checking lives here, in the TS layer, so every message has the same form:
 * "Expected X for Y but received Z". The core re-checks what it relies on.
 */
import { describe, invalidArgument, ThreadbankError } from './errors.js';
import { ParamsWalk } from './params-walk.js';
import type { BankOptions, CallerStacks, RequestQuery, ShutdownOptions, TransferableObject, WorkerManagerOptions } from './types.js';

const BANK_ID = /^[A-Za-z0-9_.:-]{1,64}$/;
const FORBIDDEN_NAMES = new Set(['__proto__', 'constructor', 'prototype']);
const STRATEGIES = new Set(['least-loaded', 'round-robin', 'fastest-expected']);

/** Most attempts in flight in one bank (the core's MAX_WORKERS x 1024, engine.cc). */
export const MAX_CONCURRENCY = 2 ** 20;

const MANAGER_KEYS = [
  'name', 'banks', 'keepResults', 'maxQueue', 'queueFullBehavior', 'callerStacks', 'historyLimit', 'defaultRetries',
  'retryBaseMs', 'retryMaxMs', 'agingStepMs', 'maxPayloadBytes', 'cancelGraceMs', 'workerStartTimeoutMs',
];
const BANK_KEYS = ['bankId', 'workerCount', 'strategy', 'concurrency', 'script', 'manifest', 'prefetch', 'resourceLimits', 'builtin'];
const SUBMIT_KEYS = new Set(['priority', 'timeout', 'retries', 'signal', 'clientId', 'bankId', 'transfer', 'transferList', 'metadata', 'onAccepted']);
const SHUTDOWN_KEYS = ['drain'];

/**
 * The own enumerable fields of an options object, read once into a plain object. A getter
 * that throws or a Proxy whose traps throw becomes a ThreadbankError naming the field, not
 * a stray error from deep inside; the fields are then read from the copy, so a getter
 * cannot answer one value to the check and another to the use. A key outside `known`
 * (a misspelt `wokerCount` would otherwise be ignored) is refused, as queries do.
 */
export function readOptions(what: string, value: unknown, known: readonly string[] | undefined, expected = 'an object'): Record<string, unknown> {
  let reading = what;
  try {
    if (!isPlainObject(value)) throw invalidArgument(what, expected, value);
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      reading = `${what}.${key}`;
      if (known !== undefined && !known.includes(key)) throw invalidArgument(what, `keys among ${known.join(', ')}`, key);
      out[key] = value[key];
    }
    return out;
  } catch (error) {
    throw unreadable(reading, error);
  }
}

/** `error` if it is ours, else E_INVALID_ARGUMENT saying that reading `what` threw it. */
function unreadable(what: string, error: unknown): ThreadbankError {
  if (error instanceof ThreadbankError) return error;
  const thrown = error instanceof Error ? `${error.name}: ${error.message}` : describe(error);
  return new ThreadbankError('E_INVALID_ARGUMENT', `Expected a readable value for ${what} but reading it threw ${thrown}`, { cause: error });
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function integerIn(what: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidArgument(what, `an integer from ${min} to ${max}`, value);
  }
  return value;
}

function msIn(what: string, value: unknown, max = 2 ** 31): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > max) {
    throw invalidArgument(what, `a number of milliseconds from 0 to ${max}`, value);
  }
  return value;
}

export interface ResolvedOptions {
  name: string;
  maxQueue: number;
  historyLimit: number;
  defaultRetries: number;
  retryBaseMs: number;
  retryMaxMs: number;
  agingStepMs: number;
  maxPayloadBytes: number;
  cancelGraceMs: number;
  workerStartTimeoutMs: number;
  queueFullBehavior: 'reject' | 'wait';
  callerStacks: CallerStacks;
  keepResults: boolean;
  banks: BankOptions[];
}

export function resolveManagerOptions(options: unknown): ResolvedOptions {
  const o = readOptions('options', options === undefined ? {} : options, MANAGER_KEYS) as WorkerManagerOptions;
  const optional = <T>(value: T | undefined, fallback: T, check: (v: unknown) => T): T =>
    value === undefined ? fallback : check(value);
  const name = optional(o.name, 'threadbank', (v) => {
    if (typeof v !== 'string' || v.length === 0 || v.length > 64) throw invalidArgument('options.name', 'a string of 1 to 64 characters', v);
    return v;
  });
  const banks = optional(o.banks, [], (v) => {
    if (!Array.isArray(v)) throw invalidArgument('options.banks', 'an array of banks', v);
    let i = 0;
    try {
      const out: BankOptions[] = [];
      for (; i < v.length; i++) out.push(v[i] as BankOptions);
      return out;
    } catch (error) {
      throw unreadable(`options.banks[${i}]`, error);
    }
  }).map((bank, i) => validateBank(bank, `options.banks[${i}]`));
  return {
    name,
    banks,
    maxQueue: optional(o.maxQueue, 100_000, (v) => integerIn('options.maxQueue', v, 0, 2 ** 31)),
    historyLimit: optional(o.historyLimit, 10_000, (v) => integerIn('options.historyLimit', v, 1, 2 ** 31)),
    defaultRetries: optional(o.defaultRetries, 2, (v) => integerIn('options.defaultRetries', v, 0, 100)),
    retryBaseMs: optional(o.retryBaseMs, 100, (v) => msIn('options.retryBaseMs', v)),
    retryMaxMs: optional(o.retryMaxMs, 10_000, (v) => msIn('options.retryMaxMs', v)),
    agingStepMs: optional(o.agingStepMs, 1_000, (v) => msIn('options.agingStepMs', v)),
    maxPayloadBytes: optional(o.maxPayloadBytes, 0, (v) => integerIn('options.maxPayloadBytes', v, 0, 2 ** 31)),
    cancelGraceMs: optional(o.cancelGraceMs, 1_000, (v) => msIn('options.cancelGraceMs', v)),
    workerStartTimeoutMs: optional(o.workerStartTimeoutMs, 10_000, (v) => msIn('options.workerStartTimeoutMs', v)),
    queueFullBehavior: optional(o.queueFullBehavior, 'reject' as const, (v) => {
      if (v !== 'reject' && v !== 'wait') throw invalidArgument('options.queueFullBehavior', "'reject' or 'wait'", v);
      return v;
    }),
    keepResults: optional(o.keepResults, false, (v) => {
      if (typeof v !== 'boolean') throw invalidArgument('options.keepResults', 'a boolean', v);
      return v;
    }),
    callerStacks: optional<CallerStacks>(o.callerStacks, 'async', (v) => {
      if (v !== 'async' && v !== 'sync' && v !== false) throw invalidArgument('options.callerStacks', "'async', 'sync' or false", v);
      return v;
    }),
  };
}

/** Checks a bank's options; returns the copy that was checked (see readOptions), to use instead. */
export function validateBank(bank: unknown, what: string): BankOptions {
  const b = readOptions(what, bank, BANK_KEYS, 'a bank object');
  if (typeof b.bankId !== 'string' || !BANK_ID.test(b.bankId) || FORBIDDEN_NAMES.has(b.bankId)) {
    throw invalidArgument(`${what}.bankId`, 'an id of 1 to 64 letters, digits, _ . : or -', b.bankId);
  }
  if (b.workerCount !== undefined) integerIn(`${what}.workerCount`, b.workerCount, 1, 1024);
  if (b.concurrency !== undefined) integerIn(`${what}.concurrency`, b.concurrency, 1, MAX_CONCURRENCY);
  if (b.prefetch !== undefined && b.prefetch !== 'auto') {
    const p = b.prefetch;
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 0 || p > 64) throw invalidArgument(`${what}.prefetch`, "'auto' or an integer from 0 to 64", p);
  }
  if (b.strategy !== undefined && (typeof b.strategy !== 'string' || !STRATEGIES.has(b.strategy))) {
    throw invalidArgument(`${what}.strategy`, 'least-loaded, round-robin or fastest-expected', b.strategy);
  }
  const hasScript = b.script !== undefined;
  const hasBuiltin = b.builtin !== undefined;
  if (hasScript === hasBuiltin) {
    throw invalidArgument(what, 'a bank with exactly one of script or builtin', b);
  }
  if (hasBuiltin && b.builtin !== 'basic') throw invalidArgument(`${what}.builtin`, 'a built-in pack name (basic)', b.builtin);
  if (hasScript) {
    const s = b.script;
    if (!(typeof s === 'string' && s.length > 0) && !(s instanceof URL) && typeof s !== 'function') {
      throw invalidArgument(`${what}.script`, 'a path, a URL or a function returning a Worker', s);
    }
    if (b.manifest !== undefined) {
      b.manifest = readManifest(b.manifest);
      if (!isPlainObject(b.manifest)) throw invalidArgument(`${what}.manifest`, 'a manifest object', b.manifest);
      checkManifestKeys(b.manifest, `${what}.manifest`);
    }
    if (b.resourceLimits !== undefined) b.resourceLimits = validateResourceLimits(b.resourceLimits, `${what}.resourceLimits`);
  }
  return b as unknown as BankOptions;
}

/**
 * A copy of `manifest` as the core will read it: too deep, circular, a BigInt, a function or
 * a property that throws is E_INVALID_MANIFEST naming its path in the manifest (the
 * bindings' conversion would otherwise report it as params, or as what the getter threw).
 */
function readManifest(manifest: unknown): unknown {
  return new ParamsWalk().take(manifest, { root: 'manifest', code: 'E_INVALID_MANIFEST', label: () => 'invalid manifest', asJson: true, limitBytes: 0 });
}

const MANIFEST_KEYS = ['name', 'version', 'actions', 'maxConcurrentTasks', 'defaultTimeout'];
const ACTION_KEYS = ['actionId', 'description', 'parameters', 'retryable', 'timeout', 'estimatedDuration', 'responseType'];
const PARAMETER_KEYS = ['name', 'type', 'required', 'description', 'minimum', 'maximum'];

/**
 * Refuses a key a manifest, an action or a parameter does not have: the core ignores fields
 * it does not know, so a misspelt `retryable` or `requried` would be dropped in silence.
 * Runs on readManifest's copy (plain data), so nothing here can throw but our own error.
 */
function checkManifestKeys(manifest: Record<string, unknown>, what: string): void {
  const only = (value: unknown, known: string[], where: string) => {
    if (!isPlainObject(value)) return; // its shape is the core's to refuse, with its message
    for (const key of Object.keys(value)) {
      if (!known.includes(key)) throw new ThreadbankError('E_INVALID_MANIFEST', `Expected keys among ${known.join(', ')} for ${where} but received ${describe(key)}`);
    }
  };
  only(manifest, MANIFEST_KEYS, what);
  if (!Array.isArray(manifest.actions)) return;
  manifest.actions.forEach((action: unknown, i) => {
    only(action, ACTION_KEYS, `${what}.actions[${i}]`);
    const parameters = isPlainObject(action) ? action.parameters : undefined;
    if (Array.isArray(parameters)) parameters.forEach((parameter: unknown, j) => only(parameter, PARAMETER_KEYS, `${what}.actions[${i}].parameters[${j}]`));
  });
}

const RESOURCE_LIMITS = ['maxOldGenerationSizeMb', 'maxYoungGenerationSizeMb', 'codeRangeSizeMb', 'stackSizeMb'];

function validateResourceLimits(limits: unknown, what: string): Record<string, unknown> {
  const copy = readOptions(what, limits, RESOURCE_LIMITS, 'an object of worker_threads resource limits');
  for (const [key, value] of Object.entries(copy)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > 2 ** 20) {
      throw invalidArgument(`${what}.${key}`, 'a number of megabytes above 0', value);
    }
  }
  return copy;
}

export interface ResolvedSubmit {
  priority: number;
  timeoutMs: number; // -1: the action's default
  retries: number; // -1: the action's default
  clientId: string | undefined;
  bankId: string | undefined;
  signal: AbortSignal | undefined;
  transfer: TransferableObject[] | undefined;
  metadata: Record<string, unknown> | undefined;
  onAccepted: ((requestId: number) => void) | undefined;
}

const NO_OPTIONS: ResolvedSubmit = {
  priority: 5,
  timeoutMs: -1,
  retries: -1,
  clientId: undefined,
  bankId: undefined,
  signal: undefined,
  transfer: undefined,
  metadata: undefined,
  onAccepted: undefined,
};

export function resolveSubmit(taskId: unknown, options: unknown): ResolvedSubmit {
  if (typeof taskId !== 'string' || taskId.length === 0) throw invalidArgument('taskId', 'a non-empty string', taskId);
  if (options === undefined) return NO_OPTIONS;
  // Read field by field, each once, without a copy: this runs for every submit with options.
  let reading = 'options';
  try {
    if (!isPlainObject(options)) throw invalidArgument('options', 'an object', options);
    const out = { ...NO_OPTIONS };
    for (const key in options) {
      reading = `options.${key}`;
      if (!SUBMIT_KEYS.has(key)) throw invalidArgument('options', `keys among ${[...SUBMIT_KEYS].join(', ')}`, key);
      const value = (options as Record<string, unknown>)[key];
      if (value !== undefined) setSubmitOption(out, key, value);
    }
    return out;
  } catch (error) {
    throw unreadable(reading, error);
  }
}

function setSubmitOption(out: ResolvedSubmit, key: string, value: unknown): void {
  switch (key) {
    case 'priority':
      out.priority = integerIn('options.priority', value, 0, 10);
      return;
    case 'timeout':
      out.timeoutMs = msIn('options.timeout', value, 2 ** 31);
      return;
    case 'retries':
      out.retries = integerIn('options.retries', value, 0, 100);
      return;
    case 'clientId':
    case 'bankId':
      if (typeof value !== 'string') throw invalidArgument(`options.${key}`, 'a string', value);
      out[key] = value;
      return;
    case 'signal':
      if (!isAbortSignal(value)) throw invalidArgument('options.signal', 'an AbortSignal', value);
      out.signal = value;
      return;
    case 'transfer':
    case 'transferList':
      // Two names for one list (piscina's is transferList): both at once would leave one unread.
      if (out.transfer !== undefined) throw new ThreadbankError('E_INVALID_ARGUMENT', 'Expected one of transfer and transferList for options but received both');
      if (!Array.isArray(value)) throw invalidArgument(`options.${key}`, 'an array of transferable objects', value);
      out.transfer = value as TransferableObject[];
      return;
    case 'onAccepted':
      if (typeof value !== 'function') throw invalidArgument('options.onAccepted', 'a function', value);
      out.onAccepted = value as (requestId: number) => void;
      return;
    case 'metadata':
      if (!isPlainObject(value)) throw invalidArgument('options.metadata', 'a plain object', value);
      out.metadata = value;
      return;
  }
}

/** AbortSignal's own `aborted` getter, which checks that its receiver is a real AbortSignal. */
const ABORTED = typeof AbortSignal === 'function' ? Object.getOwnPropertyDescriptor(AbortSignal.prototype, 'aborted')?.get : undefined;

/**
 * Whether `value` is an AbortSignal of this platform, found by its own getter's check
 * rather than `instanceof`: an object made from AbortSignal.prototype, or a Proxy in a
 * browser, passes `instanceof` and then throws a TypeError at its first use.
 */
function isAbortSignal(value: unknown): value is AbortSignal {
  if (ABORTED === undefined || typeof value !== 'object' || value === null) return false;
  try {
    ABORTED.call(value);
    return typeof (value as AbortSignal).addEventListener === 'function';
  } catch {
    return false;
  }
}

/** Shutdown's options, checked: `drain` is a boolean, and nothing else is known. */
export function resolveShutdown(options: unknown): { drain: boolean } {
  const o = readOptions('options', options === undefined ? {} : options, SHUTDOWN_KEYS) as ShutdownOptions;
  if (o.drain !== undefined && typeof o.drain !== 'boolean') throw invalidArgument('options.drain', 'a boolean', o.drain);
  return { drain: o.drain ?? true };
}

/** A task id a caller registers: a non-empty string that is not a name of JavaScript's object model. */
export function validateTaskId(taskId: unknown, what: string): void {
  if (typeof taskId !== 'string' || taskId.length === 0 || FORBIDDEN_NAMES.has(taskId)) {
    throw invalidArgument(what, 'a non-empty task id other than __proto__, constructor and prototype', taskId);
  }
}

const QUERY_KEYS = ['status', 'priorityRange', 'dateRange', 'clientId', 'taskId', 'bankId', 'pagination'];

/**
 * Throws for a key of `value` outside `known`: a misspelt filter would otherwise be
 * ignored, and the query would answer more than was asked.
 */
function onlyKeys(what: string, value: unknown, known: readonly string[]): void {
  if (!isPlainObject(value)) throw invalidArgument(what, 'an object', value);
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) throw invalidArgument(what, `keys among ${known.join(', ')}`, key);
  }
}

export function resolveQuery(query: unknown): Record<string, unknown> {
  if (query === undefined) return {};
  onlyKeys('query', query, QUERY_KEYS);
  const q = query as RequestQuery;
  const out: Record<string, unknown> = {};
  if (q.status !== undefined) {
    if (!Array.isArray(q.status)) throw invalidArgument('query.status', 'an array of statuses', q.status);
    out.statuses = q.status;
  }
  if (q.priorityRange !== undefined) {
    onlyKeys('query.priorityRange', q.priorityRange, ['min', 'max']);
    if (q.priorityRange.min !== undefined) out.minPriority = integerIn('query.priorityRange.min', q.priorityRange.min, 0, 10);
    if (q.priorityRange.max !== undefined) out.maxPriority = integerIn('query.priorityRange.max', q.priorityRange.max, 0, 10);
  }
  const time = (what: string, v: unknown): number => {
    const ms = v instanceof Date ? v.getTime() : v;
    if (typeof ms !== 'number' || !Number.isFinite(ms)) throw invalidArgument(what, 'a Date or a number of ms since the epoch', v);
    return ms;
  };
  if (q.dateRange !== undefined) onlyKeys('query.dateRange', q.dateRange, ['from', 'to']);
  if (q.dateRange?.from !== undefined) out.fromMs = time('query.dateRange.from', q.dateRange.from);
  if (q.dateRange?.to !== undefined) out.toMs = time('query.dateRange.to', q.dateRange.to);
  for (const key of ['clientId', 'taskId', 'bankId'] as const) {
    const v = q[key];
    if (v === undefined) continue;
    if (typeof v !== 'string') throw invalidArgument(`query.${key}`, 'a string', v);
    out[key] = v;
  }
  const page = q.pagination;
  if (page !== undefined) {
    onlyKeys('query.pagination', page, ['offset', 'limit', 'sortBy', 'sortOrder']);
    if (page.offset !== undefined) out.offset = integerIn('query.pagination.offset', page.offset, 0, 2 ** 31);
    if (page.limit !== undefined) out.limit = integerIn('query.pagination.limit', page.limit, 0, 100_000);
    if (page.sortBy !== undefined) out.sortBy = page.sortBy;
    if (page.sortOrder !== undefined) {
      if (page.sortOrder !== 'asc' && page.sortOrder !== 'desc') throw invalidArgument('query.pagination.sortOrder', 'asc or desc', page.sortOrder);
      out.sortOrder = page.sortOrder;
    }
  }
  return out;
}

export function assertNotClosed(closed: boolean): void {
  if (closed) throw new ThreadbankError('E_SHUTTING_DOWN', 'The manager has shut down');
}
