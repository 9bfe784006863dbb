/**
 * The manager: one implementation over any compiled core (Node addon, wasm) and any script
 * host (worker_threads, Web Workers, in-process). It owns the JS side of each request (the
 * promise, the payload of script actions, the AbortSignal) and nothing the core decides.
 */
import type { CoreModule, NativeEngine, OutboxBatch } from './binding.js';
import { describe, fromBindingError, invalidArgument, takeStackHere, ThreadbankError, type ErrorCode } from './errors.js';
import { EventHub } from './events.js';
import { ParamsWalk, type WalkRules } from './params-walk.js';
import type { ErrorPayload, ResultMessage, WorkerMessage } from './protocol.js';
import { ScriptBank } from './script-bank.js';
import { SubmitBatch } from './submit-batch.js';
import { ABORT, COMPLETE, DISPATCH, EVENT, OUTBOX_HEADER, SETTLED } from './wire.js';
import type { ScriptHost } from './script-host.js';
import type {
  BalanceReport,
  BankClient,
  BankOptions,
  BankStatus,
  EventName,
  ManagerEvent,
  QueryResult,
  RequestLifecycle,
  RequestQuery,
  RequestResult,
  ShutdownOptions,
  SubmitOptions,
  SystemMetrics,
  WorkerManifest,
  TransferableObject,
  WorkerStatus,
} from './types.js';
import {
  assertNotClosed,
  isPlainObject,
  MAX_CONCURRENCY,
  resolveManagerOptions,
  resolveQuery,
  resolveShutdown,
  resolveSubmit,
  validateBank,
  validateTaskId,
  type ResolvedOptions,
  type ResolvedSubmit,
} from './validate.js';
import type { HandlerMap } from './worker-types.js';

export interface Platform {
  core: CoreModule;
  host: ScriptHost;
  /** Test mode: the core's clock moves only in advanceTime(). */
  manualClock?: boolean;
  startTimeMs?: number;
  /**
   * Browsers: lets the page run between the steps of start-up and shutdown (creating the
   * engine, starting each bank, reading the final numbers, closing), so that no one task
   * holds the main thread through all of them. The first calls into a fresh wasm module
   * compile its functions on the calling thread, which made start-up one task of over 50 ms.
   */
  yieldToHost?: () => Promise<void>;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
  taskId: string;
  /** Script actions: the payload, kept here (not in the core) until the request settles. */
  params: unknown;
  transfer: TransferableObject[] | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  /** Created where the caller called us; its stack is formatted only if we reject. */
  callerStack: Error | undefined;
  metadata: Record<string, unknown> | undefined;
  /** Whether a script result the core accepted is held in value/error (the latest such). */
  hasResult: boolean;
  value: unknown;
  error: ErrorPayload | undefined;
}

/**
 * Attempts a script worker holds beyond those it runs, unless the bank sets a number: the
 * core sizes the window from the bank's measured task durations (core/include/threadbank/
 * prefetch.h). Tiny tasks then travel many to a message; tasks over about 4 ms are
 * not held back from a worker that frees first.
 */
const DEFAULT_PREFETCH = 'auto';

/** Most submissions gathered before they are handed to the core without waiting for the flush. */
const SUBMIT_SLICE = 1024;

interface Settle {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** A validated submission, before the core has accepted it. */
interface Job {
  taskId: string;
  params: unknown;
  options: ResolvedSubmit;
  /** Created where the caller called us; its stack is formatted only if we reject. */
  callerStack: Error | undefined;
}

/** How a job crosses to the core: its params as the core takes them, and its task's index. */
interface Crossing {
  params: unknown;
  payloadBytes: number;
  taskIndex: number;
}

interface TaskRoute {
  /** Params must cross into the core: a native bank runs it, or a manifest declares params. */
  needsParams: boolean;
  /** The action it runs, named in the core's messages about its params. */
  action: string;
  /** The core's index for the task (NativeEngine.taskIndex), -1 to name it instead. */
  index: number;
}

export class WorkerManager {
  private readonly engine: NativeEngine;
  private readonly core: CoreModule;
  private readonly options: ResolvedOptions;
  private readonly host: ScriptHost;
  private readonly yieldToHost: () => Promise<void>;
  private readonly pending = new Map<number, Pending>();
  /**
   * keepResults: finished requests' outcomes, oldest first. Trimmed to historyLimit as the
   * core trims its history (oldest finished first), so it never outlives the records.
   */
  private readonly results = new Map<number, RequestResult>();
  /** Submissions accepted by submitRequest, handed to the core together on the next flush. */
  private readonly outgoing = new SubmitBatch<{ job: Job; settle: Settle }>();
  private readonly routes = new Map<string, TaskRoute>();
  private readonly bankIds: string[] = [];
  private readonly scriptBanks = new Map<number, ScriptBank>();
  private readonly events: EventHub;
  private readonly codeIndex = new Map<string, number>();
  /** Checks, measures and copies each submission's params (reused: see ParamsWalk). */
  private readonly paramsWalk = new ParamsWalk();
  /** The walk's rules for params that cross as JSON (into the core) and that are only posted. */
  private readonly asJson: WalkRules;
  private readonly asClone: WalkRules;
  /** The same measure for what a script worker sends back (maxPayloadBytes). */
  private readonly asResult: WalkRules;
  private flushScheduled = false;
  /** Inside process(): a nested drain would take a batch ahead of the rest of this one. */
  private draining = false;
  private referenced = false;
  private closing: Promise<void> | undefined;
  /** The running shutdown cancels what is left (drain: false, or escalated to it). */
  private cancelling = false;
  private closed = false;
  private onIdle: (() => void) | undefined;
  private finalMetrics: SystemMetrics | undefined;
  private finalWorkers: WorkerStatus[] | undefined;

  private constructor(platform: Platform, options: ResolvedOptions) {
    this.core = platform.core;
    this.host = platform.host;
    this.yieldToHost = platform.yieldToHost ?? (() => Promise.resolve());
    this.options = options;
    const rules = { root: 'params', code: 'E_INVALID_PARAMS', label: (action: string) => `invalid params for ${action}`, limitBytes: options.maxPayloadBytes } as const;
    this.asJson = { ...rules, asJson: true };
    this.asClone = { ...rules, asJson: false };
    this.asResult = { ...rules, root: 'result', asJson: false, measureOnly: true };
    this.core.errorCodes.forEach((name, index) => this.codeIndex.set(name, index));
    this.engine = new this.core.NativeEngine(
      {
        name: options.name,
        maxQueue: options.maxQueue,
        historyLimit: options.historyLimit,
        defaultRetries: options.defaultRetries,
        retryBaseMs: options.retryBaseMs,
        retryMaxMs: options.retryMaxMs,
        agingStepMs: options.agingStepMs,
        maxPayloadBytes: options.maxPayloadBytes,
        manualClock: platform.manualClock === true,
        startTimeMs: platform.startTimeMs ?? Date.now(),
      },
      (batch) => {
        this.process(batch);
        this.flush();
      },
    );
    this.events = new EventHub(this.core, (mask) => this.engine.setEventMask(mask), (index) => this.bankIds[index] ?? '');
  }

  /** Creates a manager and starts its banks; rejects if any bank cannot start. */
  static async create(platform: Platform, options?: unknown): Promise<WorkerManager> {
    const resolved = resolveManagerOptions(options);
    const manager = new WorkerManager(platform, resolved);
    try {
      for (const bank of resolved.banks) {
        await manager.yieldToHost();
        await manager.registerBank(bank);
      }
    } catch (error) {
      await manager.shutdown({ drain: false });
      throw error;
    }
    return manager;
  }

  // --- registry -------------------------------------------------------------------------

  /**
   * Adds a bank at run time. A script bank takes requests once its first worker is ready;
   * the others join as they become ready (a worker's start is most of a bank's).
   */
  async registerBank(options: BankOptions): Promise<void> {
    assertNotClosed(this.closed || this.closing !== undefined);
    // The copy that was checked: a getter is not asked again.
    const bank = validateBank(options, 'bank');
    const workerCount = bank.workerCount ?? 1;
    const common = {
      id: bank.bankId,
      workerCount,
      strategy: bank.strategy ?? 'least-loaded',
      concurrency: bank.concurrency ?? 0,
    };
    if ('builtin' in bank) {
      const index = this.call(() => this.engine.registerBank({ ...common, kind: 'native', prefetch: 0, builtin: bank.builtin }));
      this.bankIds[index] = bank.bankId;
      const info = (this.engine.banks() as BankStatus[])[index];
      for (const action of info?.actions ?? []) this.routes.set(action, { needsParams: true, action, index: this.engine.taskIndex(action) });
      return;
    }
    // Script bank: start the workers first; their `ready` tells which actions they define.
    const scriptBank = new ScriptBank({
      bankId: bank.bankId,
      script: bank.script,
      workerCount,
      maxConcurrentTasks: bank.manifest?.maxConcurrentTasks ?? 1,
      host: this.host,
      startTimeoutMs: this.options.workerStartTimeoutMs,
      resourceLimits: bank.resourceLimits,
      cancelGraceMs: this.options.cancelGraceMs,
      onMessage: (worker, message, started) => this.onWorkerMessage(scriptBank, worker, message, started),
      onStarted: (pairs) => this.engine.started(new Float64Array(pairs)),
      onLost: (worker, message, running, crashed) => {
        // A worker we stopped (timeout, ignored cancel) is no death of the bank's workers.
        const code = this.code(crashed ? 'E_WORKER_CRASHED' : 'E_TIMEOUT');
        const delayMs = this.engine.workerLost(scriptBank.index, worker, code, message, running.ids, running.attempts);
        this.flush();
        return delayMs;
      },
      onReplaced: (worker) => {
        this.engine.workerReplaced(scriptBank.index, worker);
        this.flush();
      },
      onReady: (worker) => {
        this.engine.workerStarted(scriptBank.index, worker);
        this.flush();
      },
      onBroken: (message) => this.failBank(scriptBank, message),
    });
    const actions = await scriptBank.start();
    const manifest: WorkerManifest = bank.manifest ?? {
      name: bank.bankId,
      version: '0.0.0',
      actions: actions.map((actionId) => ({ actionId })),
    };
    const missing = manifest.actions.filter((a) => !actions.includes(a.actionId)).map((a) => a.actionId);
    if (missing.length > 0) {
      await scriptBank.terminate();
      throw invalidArgument(`bank ${bank.bankId}.manifest`, `actions the worker script defines (${actions.join(', ')})`, missing.join(', '));
    }
    let index: number;
    try {
      index = this.call(() =>
        this.engine.registerBank({ ...common, kind: 'script', prefetch: bank.prefetch ?? DEFAULT_PREFETCH, starting: scriptBank.starting(), manifest }),
      );
    } catch (error) {
      await scriptBank.terminate();
      throw error;
    }
    scriptBank.index = index;
    // The core names a dispatch's action by its index in the bank's manifest, as it holds it.
    scriptBank.actions = (this.engine.banks() as BankStatus[])[index]?.actions ?? [];
    this.bankIds[index] = bank.bankId;
    this.scriptBanks.set(index, scriptBank);
    for (const action of manifest.actions) {
      const declared = (action.parameters?.length ?? 0) > 0;
      const route = this.routes.get(action.actionId);
      this.routes.set(action.actionId, { needsParams: declared || route?.needsParams === true, action: action.actionId, index: this.engine.taskIndex(action.actionId) });
    }
  }

  /** Routes `taskId` to `actionId` of a bank (an alias beside the action's own id). */
  registerTask(taskId: string, bankId: string, actionId: string): void {
    validateTaskId(taskId, 'taskId');
    if (typeof bankId !== 'string') throw invalidArgument('bankId', 'a string', bankId);
    if (typeof actionId !== 'string') throw invalidArgument('actionId', 'a string', actionId);
    this.call(() => this.engine.registerTask(taskId, bankId, actionId));
    const target = this.routes.get(actionId);
    this.routes.set(taskId, { needsParams: target?.needsParams ?? true, action: actionId, index: this.engine.taskIndex(taskId) });
  }

  pauseBank(bankId: string): void {
    this.call(() => this.engine.bankCommand(bankId, 'pause'));
  }

  resumeBank(bankId: string): void {
    this.call(() => this.engine.bankCommand(bankId, 'resume'));
    this.flush();
  }

  setConcurrency(bankId: string, limit: number): void {
    if (typeof bankId !== 'string') throw invalidArgument('bankId', 'a string', bankId);
    // The core takes a 32-bit integer: a larger number would wrap (2 ** 32 + 1 became 1).
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_CONCURRENCY) {
      throw invalidArgument('limit', `an integer from 1 to ${MAX_CONCURRENCY}`, limit);
    }
    this.call(() => this.engine.setConcurrency(bankId, limit));
    this.flush();
  }

  // --- requests -------------------------------------------------------------------------

  /**
   * Runs `taskId` with `params`. Resolves with the handler's result; rejects with a
   * ThreadbankError whose `.code` says why and whose stack points at this call.
   *
   * `T` is not checked: it states what the caller expects the handler to return. For task
   * names, params and results checked against the handlers, use bank<typeof handlers>().
   */
  submitRequest<T = unknown>(taskId: string, params?: unknown, options?: SubmitOptions): Promise<T> {
    // 'sync': the caller's stack, captured before any asynchronous hop (as sharp does). Only
    // the Error is created here; V8 formats its stack text on first read, i.e. on rejection.
    // 'async': nothing now; a failure takes its stack where the caller awaits (see below).
    const callerStack = this.options.callerStacks === 'sync' ? new Error('threadbank') : undefined;
    let resolved: ResolvedSubmit;
    try {
      resolved = resolveSubmit(taskId, options);
      assertNotClosed(this.closed || this.closing !== undefined);
    } catch (error) {
      // Made here, synchronously: its own stack already runs through the caller.
      return Promise.reject(withStack(error, callerStack));
    }
    if (resolved.signal?.aborted) {
      return Promise.reject(new ThreadbankError('E_CANCELLED', `Request for ${taskId} was aborted before it was submitted`, { callerStack, cause: resolved.signal.reason }));
    }
    const job: Job = { taskId, params, options: resolved, callerStack };
    const request = new Promise<T>((resolve, reject) => {
      const settle = { resolve: resolve as (value: unknown) => void, reject };
      // Checked before it may wait for room: params that cannot be sent are refused at once.
      let crossing: Crossing;
      try {
        crossing = this.crossingOf(job);
      } catch (error) {
        reject(withStack(error, callerStack));
        return;
      }
      // Handed to the core with the others of this turn, on the flush scheduled here.
      const { options } = job;
      this.outgoing.add({ job, settle }, taskId, crossing.taskIndex, crossing.params, options.priority, options.timeoutMs, options.retries, options.clientId, options.bankId, crossing.payloadBytes);
      // A long synchronous run of submits (a million in one loop) goes in slices, so memory
      // stays bounded and workers start while JavaScript is still submitting: native
      // threads take theirs from the core; script workers are posted theirs here, else they
      // would wait for the whole loop (100k submits kept two workers idle ~0.5 s).
      if (this.outgoing.size >= SUBMIT_SLICE) {
        this.submitQueued();
        // Not from inside process() (an event listener submitting): its batch is mid-way.
        if (!this.draining) this.drainOutbox();
      } else {
        this.scheduleFlush();
      }
    });
    return this.options.callerStacks === 'async' ? awaitedByCaller(request) : request;
  }

  /**
   * How `job` crosses to the core. Throws E_INVALID_PARAMS for params that cannot be sent
   * (to the core or to a script worker: the same rules, js/src/params-walk.ts) and
   * E_PAYLOAD_TOO_LARGE for params over maxPayloadBytes. Replaces `job.params` with the
   * walk's copy, which is what is measured, posted and turned into JSON text.
   */
  private crossingOf(job: Job): Crossing {
    const { taskId } = job;
    const route = this.routes.get(taskId);
    // Only native actions and declared parameters need the params in the core.
    const needsParams = route?.needsParams === true;
    const walk = this.paramsWalk;
    const params = walk.take(job.params, needsParams ? this.asJson : this.asClone, route?.action ?? taskId);
    job.params = params;
    const payloadBytes = walk.bytes;
    const taskIndex = route?.index ?? -1;
    if (!needsParams) return { params: undefined, payloadBytes, taskIndex };
    const value: unknown = params === undefined ? {} : params;
    if (!isPlainObject(value) && !Array.isArray(value)) {
      throw new ThreadbankError('E_INVALID_PARAMS', `Expected a plain object or an array for params of ${taskId} but received ${describe(value)}`);
    }
    // Plain data crosses as JSON text (one string is one crossing; see ParamsWalk).
    return { params: walk.plain ? JSON.stringify(value) : value, payloadBytes, taskIndex };
  }

  /** Hands the submissions gathered since the last flush to the core, in order. */
  private submitQueued(): void {
    if (this.outgoing.size === 0) return;
    this.outgoing.submit(
      this.engine,
      // Over the bound, the core accepts them to wait for room, in order (queueFullBehavior).
      this.options.queueFullBehavior === 'wait',
      ({ job, settle }, id) => this.track(id, job, settle),
      ({ job, settle }, error) => settle.reject(fromBindingError(error, { callerStack: job.callerStack })),
    );
  }

  /** Keeps the JS side of an accepted request until the core settles it. */
  private track(id: number, job: Job, settle: Settle): void {
    const { signal } = job.options;
    // A plain literal with every field, always in the same order: a spread here gave each
    // entry a fresh hidden class and cost several microseconds per request.
    const entry: Pending = {
      resolve: settle.resolve,
      reject: settle.reject,
      taskId: job.taskId,
      params: job.params,
      transfer: job.options.transfer,
      signal,
      onAbort: undefined,
      callerStack: job.callerStack,
      metadata: job.options.metadata,
      hasResult: false,
      value: undefined,
      error: undefined,
    };
    this.pending.set(id, entry);
    const { onAccepted } = job.options;
    if (onAccepted !== undefined) {
      // The caller's code, called from inside the batch: a throw must not stop the others.
      try {
        onAccepted(id);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
    if (signal) {
      entry.onAbort = () => {
        this.engine.cancel(id, this.code('E_CANCELLED'), 'aborted by its AbortSignal');
        this.flush();
      };
      // Aborted between submitRequest and this turn's flush: cancelled at once.
      if (signal.aborted) queueMicrotask(entry.onAbort);
      else signal.addEventListener('abort', entry.onAbort, { once: true });
    }
    this.updateRef();
    this.scheduleFlush();
  }

  /** The process stays alive exactly while some request is pending or waiting. */
  private updateRef(): void {
    const busy = this.pending.size > 0;
    if (busy === this.referenced) return;
    this.referenced = busy;
    if (busy) this.engine.ref();
    else this.engine.unref();
  }

  /**
   * A typed client for one bank: `manager.bank<typeof handlers>('math').submit('add', { a: 1, b: 2 })`
   * checks the action's name, its params and the result's type against the handlers under
   * `tsc --strict`, and runs the request on that bank only. Nothing is checked against the
   * bank at this call (it may be registered later); submit() rejects as submitRequest() does.
   */
  bank<H extends HandlerMap = HandlerMap>(bankId: string): BankClient<H> {
    if (typeof bankId !== 'string' || bankId.length === 0) throw invalidArgument('bankId', 'a bank id', bankId);
    const submit = (action: string, params?: unknown, options?: SubmitOptions): Promise<unknown> => {
      let bound: SubmitOptions | undefined = { bankId };
      try {
        if (options !== undefined) {
          if (!isPlainObject(options)) bound = options;
          else if (options.bankId !== undefined) throw invalidArgument(`options.bankId of bank('${bankId}').submit()`, 'no bankId (the client is bound to its bank)', options.bankId);
          else bound = { ...options, bankId };
        }
      } catch (error) {
        if (error instanceof ThreadbankError) return Promise.reject(error);
        // A getter that throws: submitRequest reads the options again and names the field.
        bound = options;
      }
      return this.submitRequest(action, params, bound);
    };
    return { bankId, submit } as BankClient<H>;
  }

  /** Cancels a request by id; false if it already finished. */
  cancelRequest(requestId: number): boolean {
    const cancelled = this.call(() => this.engine.cancel(requestId));
    this.flush();
    return cancelled;
  }

  // --- observation ----------------------------------------------------------------------

  getSystemMetrics(): SystemMetrics {
    if (this.closed && this.finalMetrics) return this.finalMetrics;
    return this.call(() => this.engine.metrics() as SystemMetrics);
  }

  getWorkerStatus(): WorkerStatus[] {
    if (this.closed && this.finalWorkers) return this.finalWorkers;
    return this.call(() => this.engine.workerStatus() as WorkerStatus[]);
  }

  getBanks(): BankStatus[] {
    return this.call(() => this.engine.banks() as BankStatus[]);
  }

  getBalanceReport(bankId: string): BalanceReport {
    return this.call(() => this.engine.balanceReport(bankId) as BalanceReport);
  }

  queryRequests(query?: RequestQuery): QueryResult {
    const resolved = resolveQuery(query);
    return this.call(() => this.engine.query(resolved) as QueryResult);
  }

  /** A request's record while it runs and, once finished, while it is in the history. */
  getRequestLifecycle(requestId: number): RequestLifecycle | undefined {
    const found = this.call(() => this.engine.request(requestId));
    return found === null ? undefined : (found as RequestLifecycle);
  }

  /** The same as getRequestLifecycle(), under the name the reference API uses. */
  getRequest(requestId: number): RequestLifecycle | undefined {
    return this.getRequestLifecycle(requestId);
  }

  /**
   * A finished request's outcome (`keepResults: true`): its value, or the error its promise
   * rejected with. Undefined while it runs, and once its record has left the history
   * (getRequest() answers undefined then too). Throws E_INVALID_ARGUMENT without keepResults.
   */
  getResult<T = unknown>(requestId: number): RequestResult<T> | undefined {
    if (!this.options.keepResults) throw invalidArgument('getResult()', 'a manager created with keepResults: true', 'keepResults: false');
    const kept = this.results.get(requestId);
    if (kept === undefined) return undefined;
    // After shutdown the core is gone; what is kept is still bounded by historyLimit.
    if (!this.closed && this.getRequestLifecycle(requestId) === undefined) return undefined;
    return kept as RequestResult<T>;
  }

  /** Prometheus text exposition (format 0.0.4) of the same numbers as getSystemMetrics(). */
  metricsText(): string {
    return this.call(() => this.engine.prometheus());
  }

  on(event: EventName | 'error', listener: (event: ManagerEvent) => void): this {
    this.events.on(event, listener);
    return this;
  }

  off(event: EventName | 'error', listener: (event: ManagerEvent) => void): this {
    this.events.off(event, listener);
    return this;
  }

  /**
   * The next `event`, as a promise (pending for as long as no such event comes, as with
   * node:events' once()); with a listener, calls it once and returns the manager.
   * The listener form is what node:events' once(manager, name) and on() call, with 'error':
   * that name is accepted and never emitted (failures reach callers as rejections).
   */
  once(event: EventName): Promise<ManagerEvent>;
  once(event: EventName | 'error', listener: (event: ManagerEvent) => void): this;
  once(event: EventName | 'error', listener?: (event: ManagerEvent) => void): Promise<ManagerEvent> | this {
    if (listener !== undefined) {
      this.events.once(event, listener);
      return this;
    }
    return new Promise<ManagerEvent>((resolve) => this.events.once(event, resolve));
  }

  /** node:events' name for off(), which its once() calls to remove its 'error' listener. */
  removeListener(event: EventName | 'error', listener: (event: ManagerEvent) => void): this {
    return this.off(event, listener);
  }

  // --- test mode --------------------------------------------------------------------------

  /** Test mode only: moves the manager's clock, firing due timeouts and retries. */
  advanceTime(ms: number): void {
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) throw invalidArgument('ms', 'a number of milliseconds >= 0', ms);
    this.call(() => this.engine.advanceTime(ms));
    this.flush();
  }

  /** The manager's clock in ms since the epoch (manual in test mode). */
  now(): number {
    return this.call(() => this.engine.nowMs());
  }

  // --- shutdown ---------------------------------------------------------------------------

  /**
   * Stops taking requests. With `drain` (default) queued requests still run; without it
   * they fail with E_SHUTTING_DOWN. Resolves when everything settled and workers are gone.
   */
  shutdown(options?: ShutdownOptions): Promise<void> {
    let drain: boolean;
    try {
      ({ drain } = resolveShutdown(options));
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.closing) {
      // A drain under way, asked again without: cancel what is left (as drain: false would
      // have), and settle when everything has, like the first call.
      if (!drain && !this.cancelling && !this.closed) {
        this.cancelling = true;
        this.engine.shutdown(false);
        this.flush();
      }
      return this.closing;
    }
    this.cancelling = !drain;
    this.closing = (async () => {
      // Submitted before the shutdown: the core takes them first (those waiting for room in
      // the queue are cancelled by the shutdown, drain or not).
      this.submitQueued();
      this.engine.shutdown(drain);
      this.flush();
      if (!this.engine.finished()) {
        await new Promise<void>((resolve) => {
          this.onIdle = resolve;
          this.flush();
        });
      }
      await this.yieldToHost();
      this.finalMetrics = this.engine.metrics() as SystemMetrics;
      this.finalWorkers = this.engine.workerStatus() as WorkerStatus[];
      await this.yieldToHost();
      await Promise.all([...this.scriptBanks.values()].map((bank) => bank.terminate()));
      await this.yieldToHost();
      this.engine.unref();
      this.engine.close();
      this.closed = true;
    })();
    return this.closing;
  }

  /** `await using manager = await createWorkerManager(...)`: shutdown() (draining) at scope exit. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }

  // --- internals --------------------------------------------------------------------------

  private call<T>(body: () => T): T {
    try {
      // Whatever the caller asks next sees its earlier submissions.
      this.submitQueued();
      return body();
    } catch (error) {
      throw fromBindingError(error);
    }
  }

  private code(name: ErrorCode): number {
    return this.codeIndex.get(name) ?? this.codeIndex.get('E_INTERNAL') ?? 0;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /** Takes everything the core has for us, now. */
  private flush(): void {
    if (this.closed) return;
    this.submitQueued();
    // Submits since the last flush left their native workers asleep: one wake for the lot.
    this.engine.wakeNative();
    this.drainOutbox();
    if (this.onIdle && this.engine.finished()) {
      // A native thread may have finished the last request between that drain and the
      // check: its settlement is in the outbox already, and must be taken before close.
      this.drainOutbox();
      const resolve = this.onIdle;
      this.onIdle = undefined;
      resolve();
    }
  }

  private drainOutbox(): void {
    for (;;) {
      const batch = this.engine.drain();
      if (batch === null) break;
      this.process(batch);
    }
  }

  private process(batch: OutboxBatch): void {
    const outer = this.draining;
    this.draining = true;
    try {
      this.processBatch(batch);
    } finally {
      this.draining = outer;
    }
  }

  private processBatch(batch: OutboxBatch): void {
    const [numbers, values, messages] = batch instanceof Float64Array ? [batch, null, null] : batch;
    const dispatchEnd = OUTBOX_HEADER.SIZE + numbers[OUTBOX_HEADER.dispatches]! * DISPATCH.SIZE;
    const abortEnd = dispatchEnd + numbers[OUTBOX_HEADER.aborts]! * ABORT.SIZE;
    const settledEnd = abortEnd + numbers[OUTBOX_HEADER.settlements]! * SETTLED.SIZE;
    const eventEnd = settledEnd + numbers[OUTBOX_HEADER.events]! * EVENT.SIZE;
    for (let i = OUTBOX_HEADER.SIZE; i < dispatchEnd; i += DISPATCH.SIZE) {
      const id = numbers[i + DISPATCH.requestId]!;
      const bank = this.scriptBanks.get(numbers[i + DISPATCH.bank]!);
      if (bank === undefined) continue;
      const entry = this.pending.get(id);
      const task = { id, attempt: numbers[i + DISPATCH.attempt]!, action: bank.actions[numbers[i + DISPATCH.action]!]!, params: entry?.params };
      bank.queue(numbers[i + DISPATCH.worker]!, task, entry?.transfer);
    }
    for (const bank of this.scriptBanks.values()) bank.send();
    for (let i = dispatchEnd; i < abortEnd; i += ABORT.SIZE) {
      const bank = this.scriptBanks.get(numbers[i + ABORT.bank]!);
      bank?.abort(numbers[i + ABORT.worker]!, numbers[i + ABORT.requestId]!, numbers[i + ABORT.attempt]!, numbers[i + ABORT.timedOut] === 1);
    }
    for (let i = abortEnd, n = 0; i < settledEnd; i += SETTLED.SIZE, n++) {
      this.settle(numbers[i + SETTLED.requestId]!, numbers[i + SETTLED.code]!, values ? values[n] : null, messages?.[n] ?? undefined);
    }
    if (eventEnd > settledEnd) {
      const events = numbers instanceof Float64Array ? numbers.subarray(settledEnd, eventEnd) : Array.prototype.slice.call(numbers, settledEnd, eventEnd);
      this.events.dispatch(events, (id) => this.pending.get(id)?.metadata);
    }
  }

  private settle(id: number, codeIndex: number, value: unknown, message: string | undefined): void {
    const entry = this.pending.get(id);
    if (entry === undefined) return;
    this.pending.delete(id);
    this.updateRef();
    if (entry.signal && entry.onAbort) entry.signal.removeEventListener('abort', entry.onAbort);
    if (codeIndex === 0) {
      const result = entry.hasResult ? entry.value : value;
      if (this.options.keepResults) this.keep({ requestId: id, status: 'completed', value: result });
      entry.resolve(result);
      return;
    }
    const code = (this.core.errorCodes[codeIndex] ?? 'E_INTERNAL') as ErrorCode;
    let text = message ?? '';
    let cause: unknown;
    if (code === 'E_HANDLER' && entry.error !== undefined) {
      const original = new Error(entry.error.message);
      original.name = entry.error.name;
      if (entry.error.stack !== undefined) original.stack = entry.error.stack;
      if (entry.error.code !== undefined) (original as Error & { code?: string }).code = entry.error.code;
      cause = original;
      text = entry.error.message;
    } else if (code === 'E_CANCELLED' && entry.signal?.aborted) {
      cause = entry.signal.reason;
    }
    const error = new ThreadbankError(code, `Request ${id} (${entry.taskId}) ${describeFailure(code)}: ${text}`, { requestId: id, cause, callerStack: entry.callerStack });
    if (this.options.keepResults) this.keep({ requestId: id, status: statusOf(code), error });
    entry.reject(error);
  }

  /** Keeps a finished request's outcome, dropping the oldest beyond the history's bound. */
  private keep(result: RequestResult): void {
    this.results.set(result.requestId, result);
    if (this.results.size > this.options.historyLimit) this.results.delete(this.results.keys().next().value!);
  }

  private onWorkerMessage(bank: ScriptBank, worker: number, message: WorkerMessage, started: number[]): void {
    if (message.type === 'done') {
      this.completeResults(bank, worker, message.results, started);
    } else if (message.type === 'progress') {
      this.events.emitProgress(message.id, bank.bankId, worker, message.value, this.now(), this.pending.get(message.id)?.metadata);
    }
  }

  /**
   * A worker's results. The core decides which it accepts (the worker held that attempt and
   * it was still the request's current one); only an accepted result's value or error is
   * kept for the caller, so a worker cannot answer a request it does not hold.
   */
  private completeResults(bank: ScriptBank, worker: number, results: ResultMessage[], started: number[]): void {
    const numbers = new Float64Array(results.length * COMPLETE.SIZE);
    let messages: (string | undefined)[] | undefined;
    const limit = this.options.maxPayloadBytes;
    for (let i = 0; i < results.length; i++) {
      const result = results[i]!;
      if (result.ok && limit > 0 && this.resultTooLarge(result.value)) {
        // What comes back is bounded as what goes out is.
        results[i] = { id: result.id, attempt: result.attempt, ok: false, error: oversizedResult(limit) };
      }
      const r = results[i]!;
      const at = i * COMPLETE.SIZE;
      numbers[at + COMPLETE.requestId] = r.id;
      numbers[at + COMPLETE.attempt] = r.attempt;
      numbers[at + COMPLETE.code] = r.ok ? 0 : this.code(workerErrorCode(r.error?.code));
      numbers[at + COMPLETE.runMs] = r.ms ?? -1;
      if (!r.ok) (messages ??= new Array<string | undefined>(results.length))[i] = r.error?.message;
    }
    const batch = this.engine.completeBatch(bank.index, worker, numbers, messages, started.length > 0 ? new Float64Array(started) : undefined);
    for (let i = 0; i < results.length; i++) {
      if (numbers[i * COMPLETE.SIZE + COMPLETE.accepted] !== 1) continue;
      const result = results[i]!;
      const entry = this.pending.get(result.id);
      if (entry === undefined) continue;
      entry.hasResult = true;
      entry.value = result.value;
      entry.error = result.error;
    }
    if (batch !== null) this.process(batch);
    // completeBatch drained the outbox, and submits from event listeners in process() have
    // their flush scheduled; only a shutdown waiting for the last settlement needs one now.
    if (this.onIdle) this.flush();
  }

  /**
   * Whether a script result counts over maxPayloadBytes, measured as params are (measured
   * only: it was cloned already, so cycles, nesting and keys are not refused, and do not
   * end the count early).
   */
  private resultTooLarge(value: unknown): boolean {
    try {
      this.paramsWalk.take(value, this.asResult);
      return false;
    } catch {
      // Over the limit, or too deep to be measured at all (the walk ran out of stack).
      return true;
    }
  }

  /** A bank whose workers cannot start: the core stops it, failing what waits for it. */
  private failBank(bank: ScriptBank, message: string): void {
    this.engine.stopBank(bank.bankId, this.code('E_WORKER_CRASHED'), message);
    this.flush();
  }
}

/** A result over maxPayloadBytes, as the failure it becomes. */
function oversizedResult(limit: number): ErrorPayload {
  return { name: 'ThreadbankError', message: `Expected a result of at most ${limit} bytes (maxPayloadBytes) but the handler returned more`, code: 'E_PAYLOAD_TOO_LARGE' };
}

/** Codes a worker may report for one attempt; anything else is the handler's own failure. */
function workerErrorCode(code: string | undefined): ErrorCode {
  switch (code) {
    case 'E_UNKNOWN_TASK':
    case 'E_CANCELLED':
    case 'E_INVALID_PARAMS':
    case 'E_PAYLOAD_TOO_LARGE':
      return code;
    default:
      return 'E_HANDLER';
  }
}

/** The status the core records for a request that failed with `code` (final_status_for, engine.cc). */
function statusOf(code: ErrorCode): 'failed' | 'cancelled' | 'timed-out' {
  if (code === 'E_TIMEOUT') return 'timed-out';
  if (code === 'E_CANCELLED' || code === 'E_SHUTTING_DOWN') return 'cancelled';
  return 'failed';
}

function describeFailure(code: ErrorCode): string {
  switch (code) {
    case 'E_TIMEOUT':
      return 'timed out';
    case 'E_CANCELLED':
      return 'was cancelled';
    case 'E_SHUTTING_DOWN':
      return 'was cancelled by shutdown';
    case 'E_WORKER_CRASHED':
      return 'lost its worker';
    case 'E_HANDLER':
      return 'failed in its handler';
    default:
      return 'failed';
  }
}

/**
 * The caller's promise for `request`, settled from an async function. If the request fails,
 * V8's async stack at that point runs through whoever awaits this promise (directly, through
 * .then/.catch or Promise.all), so the rejection points at the caller's line for the price of
 * one more promise per request instead of a stack walk (callerStacks: 'async').
 */
async function awaitedByCaller<T>(request: Promise<T>): Promise<T> {
  try {
    return await request;
  } catch (error) {
    if (error instanceof ThreadbankError) takeStackHere(error, awaitedByCaller);
    throw error;
  }
}

function withStack(error: unknown, callerStack: Error | undefined): ThreadbankError {
  const wrapped = fromBindingError(error);
  return new ThreadbankError(wrapped.code, wrapped.message, { callerStack, requestId: wrapped.requestId });
}
