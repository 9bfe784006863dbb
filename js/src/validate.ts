/**
 * Argument checking lives here, in the TS layer, so every message has the same form:
 * "Expected X for Y but received Z". The core re-checks what it relies on.
 */
import { invalidArgument, ThreadbankError } from './errors.js';
import type { BankOptions, CallerStacks, RequestQuery, SubmitOptions, WorkerManagerOptions } from './types.js';

const BANK_ID = /^[A-Za-z0-9_.:-]{1,64}$/;
const FORBIDDEN_NAMES = new Set(['__proto__', 'constructor', 'prototype']);
const STRATEGIES = new Set(['least-loaded', 'round-robin', 'fastest-expected']);

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
  banks: BankOptions[];
}

export function resolveManagerOptions(options: unknown): ResolvedOptions {
  if (options === undefined) options = {};
  if (!isPlainObject(options)) throw invalidArgument('options', 'an object', options);
  const o = options as WorkerManagerOptions;
  const optional = <T>(value: T | undefined, fallback: T, check: (v: unknown) => T): T =>
    value === undefined ? fallback : check(value);
  const name = optional(o.name, 'threadbank', (v) => {
    if (typeof v !== 'string' || v.length === 0 || v.length > 64) throw invalidArgument('options.name', 'a string of 1 to 64 characters', v);
    return v;
  });
  const banks = optional(o.banks, [], (v) => {
    if (!Array.isArray(v)) throw invalidArgument('options.banks', 'an array of banks', v);
    return v as BankOptions[];
  });
  banks.forEach((bank, i) => validateBank(bank, `options.banks[${i}]`));
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
    callerStacks: optional<CallerStacks>(o.callerStacks, 'async', (v) => {
      if (v !== 'async' && v !== 'sync' && v !== false) throw invalidArgument('options.callerStacks', "'async', 'sync' or false", v);
      return v;
    }),
  };
}

export function validateBank(bank: unknown, what: string): asserts bank is BankOptions {
  if (!isPlainObject(bank)) throw invalidArgument(what, 'a bank object', bank);
  const b = bank as Record<string, unknown>;
  if (typeof b.bankId !== 'string' || !BANK_ID.test(b.bankId) || FORBIDDEN_NAMES.has(b.bankId)) {
    throw invalidArgument(`${what}.bankId`, 'an id of 1 to 64 letters, digits, _ . : or -', b.bankId);
  }
  if (b.workerCount !== undefined) integerIn(`${what}.workerCount`, b.workerCount, 1, 1024);
  if (b.concurrency !== undefined) integerIn(`${what}.concurrency`, b.concurrency, 1, 2 ** 20);
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
    throw invalidArgument(what, 'a bank with exactly one of script or builtin', bank);
  }
  if (hasBuiltin && b.builtin !== 'basic') throw invalidArgument(`${what}.builtin`, 'a built-in pack name (basic)', b.builtin);
  if (hasScript) {
    const s = b.script;
    if (!(typeof s === 'string' && s.length > 0) && !(s instanceof URL) && typeof s !== 'function') {
      throw invalidArgument(`${what}.script`, 'a path, a URL or a function returning a Worker', s);
    }
    if (b.manifest !== undefined && !isPlainObject(b.manifest)) {
      throw invalidArgument(`${what}.manifest`, 'a manifest object', b.manifest);
    }
    if (b.resourceLimits !== undefined) validateResourceLimits(b.resourceLimits, `${what}.resourceLimits`);
  }
}

const RESOURCE_LIMITS = new Set(['maxOldGenerationSizeMb', 'maxYoungGenerationSizeMb', 'codeRangeSizeMb', 'stackSizeMb']);

function validateResourceLimits(limits: unknown, what: string): void {
  if (!isPlainObject(limits)) throw invalidArgument(what, 'an object of worker_threads resource limits', limits);
  for (const [key, value] of Object.entries(limits as Record<string, unknown>)) {
    if (!RESOURCE_LIMITS.has(key)) throw invalidArgument(what, `keys among ${[...RESOURCE_LIMITS].join(', ')}`, key);
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > 2 ** 20) {
      throw invalidArgument(`${what}.${key}`, 'a number of megabytes above 0', value);
    }
  }
}

export interface ResolvedSubmit {
  priority: number;
  timeoutMs: number; // -1: the action's default
  retries: number; // -1: the action's default
  clientId: string | undefined;
  bankId: string | undefined;
  signal: AbortSignal | undefined;
  transfer: Transferable[] | undefined;
  metadata: Record<string, unknown> | undefined;
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
};

export function resolveSubmit(taskId: unknown, options: unknown): ResolvedSubmit {
  if (typeof taskId !== 'string' || taskId.length === 0) throw invalidArgument('taskId', 'a non-empty string', taskId);
  if (options === undefined) return NO_OPTIONS;
  if (!isPlainObject(options)) throw invalidArgument('options', 'an object', options);
  const o = options as SubmitOptions;
  const out = { ...NO_OPTIONS };
  if (o.priority !== undefined) out.priority = integerIn('options.priority', o.priority, 0, 10);
  if (o.timeout !== undefined) out.timeoutMs = msIn('options.timeout', o.timeout, 2 ** 31);
  if (o.retries !== undefined) out.retries = integerIn('options.retries', o.retries, 0, 100);
  if (o.clientId !== undefined) {
    if (typeof o.clientId !== 'string') throw invalidArgument('options.clientId', 'a string', o.clientId);
    out.clientId = o.clientId;
  }
  if (o.bankId !== undefined) {
    if (typeof o.bankId !== 'string') throw invalidArgument('options.bankId', 'a string', o.bankId);
    out.bankId = o.bankId;
  }
  if (o.signal !== undefined) {
    if (typeof AbortSignal === 'undefined' || !(o.signal instanceof AbortSignal)) {
      throw invalidArgument('options.signal', 'an AbortSignal', o.signal);
    }
    out.signal = o.signal;
  }
  if (o.transfer !== undefined) {
    if (!Array.isArray(o.transfer)) throw invalidArgument('options.transfer', 'an array of transferable objects', o.transfer);
    out.transfer = o.transfer;
  }
  if (o.metadata !== undefined) {
    if (!isPlainObject(o.metadata)) throw invalidArgument('options.metadata', 'a plain object', o.metadata);
    out.metadata = o.metadata;
  }
  return out;
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

/** Approximate size of params in bytes, as JSON would be; walks cycles safely. */
export function measurePayload(value: unknown): number {
  const seen = new Set<object>();
  const walk = (v: unknown): number => {
    switch (typeof v) {
      case 'string':
        return v.length + 2;
      case 'number':
        return 8;
      case 'boolean':
        return 5;
      case 'object': {
        if (v === null) return 4;
        if (ArrayBuffer.isView(v)) return v.byteLength;
        if (v instanceof ArrayBuffer) return v.byteLength;
        if (seen.has(v)) return 0;
        seen.add(v);
        let total = 2;
        for (const [key, item] of Object.entries(v)) total += key.length + 3 + walk(item);
        return total;
      }
      default:
        return 0;
    }
  };
  return walk(value);
}

export function assertNotClosed(closed: boolean): void {
  if (closed) throw new ThreadbankError('E_SHUTTING_DOWN', 'The manager has shut down');
}
