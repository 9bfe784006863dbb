/**
 * The wasm module as a CoreModule: the same NativeEngine surface the manager uses with the
 * Node addon. Arguments cross as numbers and JSON text; errors come back through error().
 */
import type { BankInput, CoreModule, EngineConfigInput, NativeEngine, OutboxBatch } from '../binding.js';
import { PARAMS_SEPARATOR } from '../submit-batch.js';
import { COMPLETE, SUBMIT } from '../wire.js';

/** '1', as completeMany marks an accepted result. */
const ONE = 0x31;

/** What the embind table in wasm/binding.cc exposes. */
export interface WasmModule {
  WasmEngine: new (config: string, id: number) => WasmEngineHandle;
  nameTables(): string;
  threaded(): boolean;
  threadbankNotify?: (id: number) => void;
  /** Pthread builds: starts the core's own warm-up thread (warm-up-thread.ts). */
  warmUpOffThread?: () => boolean;
  threadbankWarmedUp?: (failures: string) => void;
  /** Threaded build in Node: lets idle pthread workers not hold the process open. */
  threadbankUnrefWorkers?: () => void;
}

interface WasmEngineHandle {
  error(): string;
  registerBank(bank: string): number;
  registerTask(task: string, bank: string, action: string): void;
  submit(task: string, params: string, priority: number, timeoutMs: number, retries: number, client: string, bank: string, payloadBytes: number, waitForRoom: boolean): number;
  cancel(id: number, code: number, message: string): boolean;
  /**
   * One '\0'-separated segment per submit in each string ('' clients or banks: none at all),
   * SUBMIT.SIZE numbers per submit. Returns a view of the ids in the module's memory (0
   * where refused, see submitErrors), valid until the next call.
   */
  submitMany(tasks: string, params: string, numbers: Float64Array, clients: string, banks: string, waitForRoom: boolean): Float64Array;
  /** JSON [[index, code, message], ...] of the last submitMany's refusals, '' when none. */
  submitErrors(): string;
  /** (id, attempt) per attempt that started. */
  startedMany(numbers: Float64Array): void;
  /** Returns whether the core accepted the result as the request's outcome. */
  complete(id: number, attempt: number, bank: number, worker: number, code: number, message: string, runMs: number): boolean;
  /**
   * COMPLETE.SIZE numbers per result; `messages` one segment per result, or '' when none
   * failed. Returns one character per result, '1' where the core accepted it.
   */
  completeMany(bank: number, worker: number, numbers: Float64Array, messages: string): string;
  /** `running`: JSON [[id, attempt], ...], or '' when not known. */
  /** Returns the wait before the replacement starts (ms). */
  workerLost(bank: number, worker: number, code: number, message: string, running: string): number;
  workerReplaced(bank: number, worker: number): void;
  workerStarted(bank: number, worker: number): void;
  bankCommand(bank: string, command: string): void;
  stopBank(bank: string, code: number, message: string): void;
  setConcurrency(bank: string, limit: number): void;
  drain(): string;
  setEventMask(mask: number): void;
  metrics(): string;
  workerStatus(): string;
  banks(): string;
  balanceReport(bank: string): string;
  query(query: string): string;
  request(id: number): string;
  prometheus(): string;
  advanceTime(ms: number): void;
  tick(): number;
  nextDeadlineMs(): number;
  runNative(maxJobs: number): number;
  nowMs(): number;
  shutdown(drain: boolean): void;
  finished(): boolean;
  wakeNative(): void;
  close(): void;
  delete(): void;
}

/** An error kept by the module ("CODE\nmessage") as the error the addon would throw. */
function errorFrom(kept: string): Error {
  const newline = kept.indexOf('\n');
  return Object.assign(new Error(kept.slice(newline + 1)), { code: kept.slice(0, newline) });
}

/** One segment per submit joined for submitMany, or '' when no submit has one. */
function joined(values: (string | undefined)[] | undefined, count: number): string {
  if (values === undefined) return '';
  let out = values[0] ?? '';
  for (let i = 1; i < count; i++) out += PARAMS_SEPARATOR + (values[i] ?? '');
  return out;
}

/** Native jobs run per macrotask without threads: small slices keep the loop responsive. */
const NATIVE_SLICE = 64;

export function wasmCore(module: WasmModule): CoreModule {
  const tables = JSON.parse(module.nameTables()) as Omit<CoreModule, 'NativeEngine'>;
  const threaded = module.threaded();
  const cancelledCode = tables.errorCodes.indexOf('E_CANCELLED');
  const listeners = new Map<number, () => void>();
  let nextId = 1; // 0 is the off-thread warm-up's scratch engine (wasm/warm_up.cc)
  module.threadbankNotify = (id) => listeners.get(id)?.();

  class WasmNativeEngine implements NativeEngine {
    private readonly handle: WasmEngineHandle;
    private readonly id = nextId++;
    private timer: ReturnType<typeof setTimeout> | undefined;
    private timerAt = Infinity;
    private nativeScheduled = false;
    private notifyScheduled = false;
    /**
     * While requests are pending, something must keep Node's loop alive: this does, on both
     * builds. Nothing else can be relied on: script workers are unref'd once ready, the
     * pthreads are unref'd, and without threads the deadline timer exists only while the
     * core has a deadline (none while a script request without timeout runs).
     */
    private keepAlive: ReturnType<typeof setInterval> | undefined;
    private closed = false;

    constructor(config: EngineConfigInput, onOutbox: (batch: OutboxBatch) => void) {
      this.handle = new module.WasmEngine(JSON.stringify(config), this.id);
      this.check();
      // The core signals from any thread (proxied to this one); drain on a microtask so the
      // signal never re-enters the manager in the middle of a call.
      listeners.set(this.id, () => {
        if (this.notifyScheduled || this.closed) return;
        this.notifyScheduled = true;
        queueMicrotask(() => {
          this.notifyScheduled = false;
          const batch = this.drain();
          if (batch) onOutbox(batch);
        });
      });
    }

    private check(): void {
      const error = this.handle.error();
      if (error !== '') throw errorFrom(error);
    }

    private call<T>(body: () => T): T {
      if (this.closed) throw Object.assign(new Error('the manager has been closed'), { code: 'E_SHUTTING_DOWN' });
      const out = body();
      this.check();
      return out;
    }

    private parsed<T>(body: () => string): T {
      const text = this.call(body);
      return (text === '' ? null : JSON.parse(text)) as T;
    }

    // Without threads nothing runs native work or fires timers but this thread: after every
    // call that may have queued some, schedule it on the event loop.
    private afterWork(): void {
      if (threaded || this.closed) return;
      if (!this.nativeScheduled) {
        this.nativeScheduled = true;
        setTimeout(() => {
          this.nativeScheduled = false;
          if (this.closed) return;
          if (this.handle.runNative(NATIVE_SLICE) === NATIVE_SLICE) this.afterWork();
          this.armTimer();
        }, 0);
      }
      this.armTimer();
    }

    private armTimer(): void {
      if (this.closed) return;
      const next = this.handle.nextDeadlineMs();
      if (next < 0 || next >= this.timerAt) return;
      if (this.timer) clearTimeout(this.timer);
      this.timerAt = next;
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.timerAt = Infinity;
        if (this.closed) return;
        this.handle.tick();
        this.afterWork();
      }, Math.max(0, next - this.handle.nowMs()));
      // A wake-up, never a keep-alive (that is keepAlive's job).
      (this.timer as { unref?: () => void }).unref?.();
    }

    registerBank(bank: BankInput): number {
      const index = this.call(() => this.handle.registerBank(JSON.stringify(bank)));
      module.threadbankUnrefWorkers?.();
      return index;
    }
    registerTask(task: string, bank: string, action: string): void {
      this.call(() => this.handle.registerTask(task, bank, action));
    }
    /** One submit; the caller schedules the work it may have queued (afterWork). */
    private submitOne(task: string, params: unknown, priority: number, timeoutMs: number, retries: number, clientId: string | undefined, bankId: string | undefined, payloadBytes: number, waitForRoom: boolean): number {
      // Plain data arrives as JSON text already (see params-walk.ts).
      let text = typeof params === 'string' ? params : '';
      if (params !== undefined && typeof params !== 'string') {
        try {
          text = JSON.stringify(params, rejectUncloneable) ?? '';
        } catch (error) {
          throw Object.assign(new Error(`expected JSON-compatible data for params but ${(error as Error).message}`), { code: 'E_INVALID_PARAMS' });
        }
      }
      return this.call(() => this.handle.submit(task, text, priority, timeoutMs, retries, clientId ?? '', bankId ?? '', payloadBytes, waitForRoom));
    }
    submitMany(tasks: string[], paramsText: string, paramsValues: unknown[] | undefined, numbers: Float64Array, clientIds: (string | undefined)[] | undefined, bankIds: (string | undefined)[] | undefined, ids: Float64Array, waitForRoom: boolean): (unknown | undefined)[] | null {
      // Plain data (all of it JSON text already) goes in one call: each call into the module
      // converts its strings and takes the core's lock, and per submit that was a large part
      // of the browser's main thread.
      if (paramsValues === undefined) {
        const errors = this.submitJoined(tasks, paramsText, numbers, clientIds, bankIds, ids, waitForRoom);
        if (errors !== undefined) {
          this.afterWork();
          return errors;
        }
      }
      return this.submitEach(tasks, paramsText, paramsValues, numbers, clientIds, bankIds, ids, waitForRoom);
    }
    /** The batch in one call; undefined when it must go one by one (a name holds the separator). */
    private submitJoined(tasks: string[], paramsText: string, numbers: Float64Array, clientIds: (string | undefined)[] | undefined, bankIds: (string | undefined)[] | undefined, ids: Float64Array, waitForRoom: boolean): (unknown | undefined)[] | null | undefined {
      if (this.closed) throw Object.assign(new Error('the manager has been closed'), { code: 'E_SHUTTING_DOWN' });
      const count = tasks.length;
      const view = this.handle.submitMany(tasks.join(PARAMS_SEPARATOR), paramsText, numbers.subarray(0, count * SUBMIT.SIZE), joined(clientIds, count), joined(bankIds, count), waitForRoom);
      const failure = this.handle.error();
      if (failure.startsWith('E_INVALID_ARGUMENT\n')) return undefined; // nothing was submitted
      if (failure !== '') throw errorFrom(failure);
      ids.set(view); // before any other call into the module
      if (!view.includes(0)) return null;
      const errors = new Array<unknown>(count);
      for (const [i, code, message] of JSON.parse(this.handle.submitErrors()) as [number, string, string][]) {
        errors[i] = Object.assign(new Error(message), { code });
      }
      return errors;
    }
    private submitEach(tasks: string[], paramsText: string, paramsValues: unknown[] | undefined, numbers: Float64Array, clientIds: (string | undefined)[] | undefined, bankIds: (string | undefined)[] | undefined, ids: Float64Array, waitForRoom: boolean): (unknown | undefined)[] | null {
      const texts = paramsText.split(PARAMS_SEPARATOR);
      let errors: unknown[] | null = null;
      for (let i = 0; i < tasks.length; i++) {
        const n = i * SUBMIT.SIZE;
        const params = texts[i] !== '' ? texts[i] : paramsValues?.[i];
        try {
          ids[i] = this.submitOne(tasks[i]!, params, numbers[n + SUBMIT.priority]!, numbers[n + SUBMIT.timeoutMs]!, numbers[n + SUBMIT.retries]!, clientIds?.[i], bankIds?.[i], numbers[n + SUBMIT.payloadBytes]!, waitForRoom);
        } catch (error) {
          ids[i] = 0;
          (errors ??= new Array<unknown>(tasks.length))[i] = error;
        }
      }
      this.afterWork();
      return errors;
    }
    taskIndex(): number {
      return -1; // submitMany goes by name here
    }
    cancel(id: number, code?: number, message?: string): boolean {
      const out = this.call(() => this.handle.cancel(id, code ?? cancelledCode, message ?? 'cancelled by the caller'));
      this.afterWork();
      return out;
    }
    started(pairs: Float64Array): void {
      this.call(() => this.handle.startedMany(pairs));
    }
    completeBatch(bank: number, worker: number, numbers: Float64Array, messages: (string | undefined)[] | undefined, started?: Float64Array): OutboxBatch | null {
      if (messages?.some((message) => message?.includes(PARAMS_SEPARATOR))) {
        // A message holding the separator cannot be cut apart: one by one, exactly.
        this.call(() => {
          for (let at = 0; at < numbers.length; at += COMPLETE.SIZE) {
            const accepted = this.handle.complete(numbers[at + COMPLETE.requestId]!, numbers[at + COMPLETE.attempt]!, bank, worker, numbers[at + COMPLETE.code]!, messages[at / COMPLETE.SIZE] ?? '', numbers[at + COMPLETE.runMs]!);
            numbers[at + COMPLETE.accepted] = accepted ? 1 : 0;
          }
        });
      } else {
        const count = numbers.length / COMPLETE.SIZE;
        const text = messages ? Array.from({ length: count }, (_, i) => messages[i] ?? '').join(PARAMS_SEPARATOR) : '';
        const accepted = this.call(() => this.handle.completeMany(bank, worker, numbers, text));
        for (let i = 0; i < count; i++) numbers[i * COMPLETE.SIZE + COMPLETE.accepted] = accepted.charCodeAt(i) === ONE ? 1 : 0;
      }
      if (started) this.call(() => this.handle.startedMany(started));
      this.afterWork();
      return this.drain();
    }
    workerLost(bank: number, worker: number, code: number, message: string, runningIds?: number[], runningAttempts?: number[]): number {
      const running = runningIds && runningAttempts ? JSON.stringify(runningIds.map((id, i) => [id, runningAttempts[i]])) : '';
      const delayMs = this.call(() => this.handle.workerLost(bank, worker, code, message, running));
      this.afterWork();
      return delayMs;
    }
    workerReplaced(bank: number, worker: number): void {
      this.call(() => this.handle.workerReplaced(bank, worker));
      this.afterWork();
    }
    workerStarted(bank: number, worker: number): void {
      this.call(() => this.handle.workerStarted(bank, worker));
      this.afterWork();
    }
    stopBank(bankId: string, code: number, message: string): void {
      this.call(() => this.handle.stopBank(bankId, code, message));
      this.afterWork();
    }
    bankCommand(bankId: string, command: 'pause' | 'resume' | 'drain'): void {
      this.call(() => this.handle.bankCommand(bankId, command));
      this.afterWork();
    }
    setConcurrency(bankId: string, limit: number): void {
      this.call(() => this.handle.setConcurrency(bankId, limit));
      this.afterWork();
    }
    drain(): OutboxBatch | null {
      if (this.closed) return null;
      return this.parsed<OutboxBatch>(() => this.handle.drain());
    }
    setEventMask(mask: number): void {
      this.call(() => this.handle.setEventMask(mask));
    }
    metrics(): unknown {
      return this.parsed(() => this.handle.metrics());
    }
    workerStatus(): unknown {
      return this.parsed(() => this.handle.workerStatus());
    }
    banks(): unknown {
      return this.parsed(() => this.handle.banks());
    }
    balanceReport(bankId: string): unknown {
      return this.parsed(() => this.handle.balanceReport(bankId));
    }
    query(query: Record<string, unknown>): unknown {
      return this.parsed(() => this.handle.query(JSON.stringify(query)));
    }
    request(id: number): unknown {
      return this.parsed(() => this.handle.request(id));
    }
    prometheus(): string {
      return this.call(() => this.handle.prometheus());
    }
    advanceTime(ms: number): void {
      this.call(() => this.handle.advanceTime(ms));
      this.afterWork();
    }
    nowMs(): number {
      return this.call(() => this.handle.nowMs());
    }
    shutdown(drain: boolean): void {
      this.call(() => this.handle.shutdown(drain));
      this.afterWork();
    }
    finished(): boolean {
      return this.call(() => this.handle.finished());
    }
    wakeNative(): void {
      if (threaded) this.call(() => this.handle.wakeNative());
    }
    // In Node, the process stays alive exactly while requests are pending.
    ref(): void {
      if (this.keepAlive === undefined && typeof (globalThis as { process?: unknown }).process !== 'undefined') {
        this.keepAlive = setInterval(() => undefined, 1 << 30);
      }
    }
    unref(): void {
      if (this.keepAlive !== undefined) clearInterval(this.keepAlive);
      this.keepAlive = undefined;
      module.threadbankUnrefWorkers?.();
    }
    close(): void {
      if (this.closed) return;
      this.closed = true;
      if (this.timer) clearTimeout(this.timer);
      listeners.delete(this.id);
      if (this.keepAlive !== undefined) clearInterval(this.keepAlive);
      this.handle.close();
      this.handle.delete();
    }
  }

  return { ...tables, NativeEngine: WasmNativeEngine };
}

/** JSON.stringify drops functions and symbols; params with them are refused, as on Node. */
function rejectUncloneable(key: string, value: unknown): unknown {
  if (typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint') {
    throw new TypeError(`params${key === '' ? '' : `.${key}`} is ${typeof value === 'function' ? 'a function' : typeof value === 'symbol' ? 'a symbol' : 'a BigInt'}`);
  }
  return value;
}
