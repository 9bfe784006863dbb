/** Public types of the manager API, shared by every platform. */
import type { ErrorCode, ThreadbankError } from './errors.js';
import type { ActionsOf, HandlerMap, ParamsOf, ResultOf, TransferableObject } from './worker-types.js';

export type { TransferableObject };

export type ParamType = 'any' | 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array' | 'binary';

export interface ParameterDefinition {
  name: string;
  type?: ParamType;
  required?: boolean;
  description?: string;
  /**
   * Smallest value accepted, inclusive; `number` and `integer` parameters only. A submit
   * below it is refused with `E_INVALID_PARAMS`. Must be finite and at most `maximum`.
   */
  minimum?: number;
  /** Largest value accepted, inclusive; `number` and `integer` parameters only. */
  maximum?: number;
}

export interface ActionDefinition {
  actionId: string;
  description?: string;
  parameters?: ParameterDefinition[];
  retryable?: boolean;
  /** Per-attempt timeout in ms. */
  timeout?: number;
  /** Seeds the fastest-expected balancer, in ms. */
  estimatedDuration?: number;
  responseType?: string;
}

export interface WorkerManifest {
  name: string;
  version?: string;
  actions: ActionDefinition[];
  /** Attempts one worker runs at once (async handlers). Default 1. */
  maxConcurrentTasks?: number;
  /** Per-attempt timeout in ms for actions that set none. */
  defaultTimeout?: number;
}

export type BalanceStrategy = 'least-loaded' | 'round-robin' | 'fastest-expected';

/**
 * The parts of a Web Worker a bank uses; a DOM `Worker` fits. Declared here, not taken from
 * lib.dom, for the same reason as TransferableObject.
 */
export interface WebWorkerLike {
  postMessage(message: unknown, transfer: TransferableObject[]): void;
  terminate(): void;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  addEventListener(type: string, listener: (event: any) => void): void;
}

/** Something that starts a worker: a path or URL (Node), or a factory bundlers can follow. */
export type WorkerScript = string | URL | (() => WebWorkerLike);

interface BankCommon {
  bankId: string;
  workerCount?: number;
  strategy?: BalanceStrategy;
  /**
   * Limit on attempts in flight in this bank; default workers x (maxConcurrentTasks +
   * prefetch), with 64 as the prefetch of an 'auto' bank.
   */
  concurrency?: number;
}

/** A bank of script workers running a worker script written from the template. */
export interface ScriptBankOptions extends BankCommon {
  script: WorkerScript;
  /** What the script's handlers do; default: one action per handler the script defines. */
  manifest?: WorkerManifest;
  /**
   * Attempts queued inside each worker beyond those running, so it never idles waiting for
   * a message and tiny tasks travel many to a message. Default 'auto': as many as fit in
   * about 4 ms of the bank's measured time per task (up to 64 for tiny tasks, none for tasks
   * over 4 ms, so a waiting request goes to whichever worker frees first).
   * A number from 0 to 64 fixes it.
   */
  prefetch?: number | 'auto';
  /**
   * Node only (ignored by browsers): limits for each worker's JS heap and stack, as
   * worker_threads' resourceLimits. A worker that exceeds them is terminated by Node and
   * replaced; the request it was running fails with E_WORKER_CRASHED (or is retried).
   */
  resourceLimits?: WorkerResourceLimits;
}

/** worker_threads' resource limits, in megabytes. */
export interface WorkerResourceLimits {
  maxOldGenerationSizeMb?: number;
  maxYoungGenerationSizeMb?: number;
  codeRangeSizeMb?: number;
  stackSizeMb?: number;
}

/** A bank of native workers running a built-in C++ pack. */
export interface NativeBankOptions extends BankCommon {
  builtin: 'basic';
}

export type BankOptions = ScriptBankOptions | NativeBankOptions;

/**
 * How a rejection's stack points at the line that submitted the request:
 * - 'async' (default): nothing is captured at submit. A failure takes V8's async stack where
 *   it reaches the caller, which runs through the async functions awaiting the request
 *   (directly, through .then/.catch or Promise.all): the caller's line, for about a tenth of a
 *   microsecond per request. A caller that is not an async function (plain .then) sees only
 *   the async functions further out that await it; where none does (a timer's callback), or
 *   the engine keeps no async stacks, the error keeps the stack where it was made.
 * - 'sync': the caller's synchronous stack is captured at each submitRequest(), whoever
 *   awaits. Exact, but V8's stack walk costs more than the rest of a tiny task's trip on the
 *   event loop (about a third of the native tiny-task loop's time).
 * - false: only the frames where the error was made.
 */
export type CallerStacks = 'async' | 'sync' | false;

export interface WorkerManagerOptions {
  name?: string;
  /**
   * Keep each finished request's outcome (the result value, or the error) for getResult(),
   * for as long as the core keeps its record in the history (`historyLimit` requests, oldest
   * dropped first). Off by default: it holds up to `historyLimit` results in memory.
   */
  keepResults?: boolean;
  banks?: BankOptions[];
  /** Pending requests over all banks; over it submissions fail with E_QUEUE_FULL. 0 = unbounded. */
  maxQueue?: number;
  /**
   * What a submission does when the queue is full: 'reject' (default) fails it at once with
   * E_QUEUE_FULL; 'wait' accepts it (it is a request, pending, cancellable by its signal)
   * and the core moves it into the queue when there is room, in the order such requests
   * were accepted. Shutdown cancels those still waiting with E_SHUTTING_DOWN.
   */
  queueFullBehavior?: 'reject' | 'wait';
  /**
   * How a rejection's stack comes to point at the caller's line (see CallerStacks). Default
   * 'async'.
   */
  callerStacks?: CallerStacks;
  /** Finished requests kept for queries. */
  historyLimit?: number;
  /** Retries for retryable actions when a request sets none. */
  defaultRetries?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Waiting this long raises a request's effective priority by one. */
  agingStepMs?: number;
  /**
   * Largest params accepted, counted as their JSON text in characters (holes as null, byte
   * arrays by their length; docs/guarantees.md). What is sent is what was measured. 0 = unlimited.
   */
  maxPayloadBytes?: number;
  /** Time a cancelled script handler gets to return before its worker is replaced. */
  cancelGraceMs?: number;
  /** Time a new script worker gets to call defineWorker(). */
  workerStartTimeoutMs?: number;
}

export interface SubmitOptions {
  /** 0..10, higher first. Default 5. */
  priority?: number;
  /** Per-attempt timeout in ms; 0 = none. */
  timeout?: number;
  /** Retries after the first attempt. */
  retries?: number;
  signal?: AbortSignal;
  clientId?: string;
  /** Run on this bank only. */
  bankId?: string;
  /** Objects to transfer rather than copy to a script worker. */
  transfer?: TransferableObject[];
  /**
   * The same as `transfer`, under the name piscina and poolifier use. Giving both is
   * refused with E_INVALID_ARGUMENT.
   */
  transferList?: TransferableObject[];
  /**
   * Called with the request's id once the core has accepted it, so the caller can cancel it
   * or read its lifecycle while still awaiting the one promise. Submissions are handed to
   * the core together, at the end of the current microtask turn or at the next call to any
   * other method of the manager, whichever comes first: the callback runs then, synchronously,
   * before any event of the request is dispatched. It is not called for a submission the
   * core refuses (the promise rejects instead). A callback that throws does not affect the
   * request; its error is rethrown in a microtask.
   */
  onAccepted?: (requestId: number) => void;
  /** Kept with the request in JavaScript and passed to event listeners. */
  metadata?: Record<string, unknown>;
}

export type RequestStatus = 'pending' | 'assigned' | 'processing' | 'completed' | 'failed' | 'cancelled' | 'timed-out';

export interface RequestLifecycle {
  requestId: number;
  taskId: string;
  bankId: string;
  clientId: string;
  worker: number;
  priority: number;
  status: RequestStatus;
  errorCode?: ErrorCode;
  errorMessage?: string;
  attempts: number;
  maxAttempts: number;
  /** ms since the epoch at which the request last entered each status. */
  timestamps: Partial<Record<RequestStatus, number>>;
  submittedAt: number;
  finishedAt?: number;
}

export interface RequestQuery {
  status?: RequestStatus[];
  priorityRange?: { min?: number; max?: number };
  dateRange?: { from?: Date | number; to?: Date | number };
  clientId?: string;
  taskId?: string;
  bankId?: string;
  pagination?: {
    offset?: number;
    limit?: number;
    sortBy?: 'submittedAt' | 'priority' | 'finishedAt' | 'duration' | 'id';
    sortOrder?: 'asc' | 'desc';
  };
}

/** A finished request's outcome, as getResult() keeps it (`keepResults: true`). */
export type RequestResult<T = unknown> =
  | { requestId: number; status: 'completed'; value: T }
  | { requestId: number; status: 'failed' | 'cancelled' | 'timed-out'; error: ThreadbankError };

export interface QueryResult {
  total: number;
  items: RequestLifecycle[];
}

export interface Percentiles {
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  count: number;
}

export interface SystemMetrics {
  totalRequests: number;
  rejectedRequests: number;
  completedRequests: number;
  failedRequests: number;
  cancelledRequests: number;
  timedOutRequests: number;
  retries: number;
  queueDepth: number;
  /** Accepted while the queue was full (queueFullBehavior 'wait'), waiting to join it. */
  waitingForRoom: number;
  inFlight: number;
  successRate: number;
  averageProcessingTimeMs: number;
  processingTime: Percentiles;
  queueWait: Percentiles;
  currentLoad: number;
  throughputPerSecond: number;
  uptimeMs: number;
  workerCount: number;
  busyWorkers: number;
  storedRequests: number;
}

export interface WorkerStatus {
  workerId: string;
  bankId: string;
  index: number;
  kind: 'native' | 'script';
  alive: boolean;
  busy: boolean;
  inFlight: number;
  capacity: number;
  tasksCompleted: number;
  tasksFailed: number;
  busyTimeMs: number;
  idleTimeMs: number;
  currentRequestId: number | null;
  currentTask: string | null;
  restarts: number;
}

export interface BankStatus {
  bankId: string;
  name: string;
  kind: 'native' | 'script';
  /** 'failing': its workers keep dying before they finish anything (docs/guarantees.md). */
  status: 'active' | 'paused' | 'draining' | 'stopped' | 'failing';
  workerCount: number;
  concurrency: number;
  queueDepth: number;
  inFlight: number;
  strategy: BalanceStrategy;
  actions: string[];
}

export interface BalanceReport {
  bankId: string;
  strategy: BalanceStrategy;
  assigned: number[];
  busyTimeMs: number[];
  imbalance: number;
}

export type RequestEventName =
  | 'request-submitted'
  | 'request-assigned'
  | 'request-started'
  | 'request-completed'
  | 'request-failed'
  | 'request-retried'
  | 'request-cancelled'
  | 'request-timed-out';

export type EventName = RequestEventName | 'worker-status' | 'bank-status' | 'queue-drain' | 'progress';

export interface ManagerEvent {
  type: EventName;
  /** ms since the epoch (the manager's clock; manual in test mode). */
  timestamp: number;
  requestId?: number;
  bankId?: string;
  workerId?: string;
  attempt?: number;
  errorCode?: ErrorCode;
  /** worker-status: idle | busy | lost | replaced; bank-status: active | paused | draining | stopped. */
  state?: string;
  /** progress: what the handler reported. */
  value?: unknown;
  metadata?: Record<string, unknown>;
}

export interface ShutdownOptions {
  /** true: run what is queued first; false: cancel it with E_SHUTTING_DOWN. Default true. */
  drain?: boolean;
}

/** The arguments after the action's name: params may be left out where the handler takes none. */
export type BankSubmitArgs<P> = undefined extends P
  ? [params?: P, options?: Omit<SubmitOptions, 'bankId'>]
  : [params: P, options?: Omit<SubmitOptions, 'bankId'>];

/**
 * A bank whose handlers TypeScript knows: `manager.bank<typeof handlers>('math')`. submit()
 * takes only the actions the handlers define, checks their params, and resolves with what the
 * handler returns (after structured cloning: class instances arrive as plain objects).
 */
export interface BankClient<H extends HandlerMap> {
  readonly bankId: string;
  /** submitRequest(action, params, { ...options, bankId }) with its types checked. */
  submit<A extends ActionsOf<H>>(action: A, ...args: BankSubmitArgs<ParamsOf<H, A>>): Promise<ResultOf<H, A>>;
}

/**
 * What environment() reports: which build of the core a manager created here uses, why, and
 * what the platform offers. Diagnostics for people (`npx threadbank env`) and health checks.
 */
export interface Environment {
  runtime: 'node' | 'browser';
  /** The build createWorkerManager() uses here. */
  backend: 'addon' | 'wasm-threads' | 'wasm-nothreads';
  /** Why that build, in a sentence. */
  reason: string;
  /** Node: whether the native addon loads, and its error if not. Browsers: never loaded. */
  addon: { loaded: boolean; error?: string };
  /** Whether the wasm build with threads can run here (shared memory; in a page, cross-origin isolation). */
  wasmThreads: boolean;
  /** Threads the machine offers: os.availableParallelism() in Node, navigator.hardwareConcurrency in browsers. */
  parallelism: number;
  /** Node: process.version. */
  nodeVersion?: string;
  /** Node: process.platform and process.arch. */
  platform?: string;
  arch?: string;
  /** Node on Linux: 'glibc <version>' or 'musl'. */
  libc?: string;
  /** Browsers: whether the page is cross-origin isolated (COOP/COEP), which threads need. */
  crossOriginIsolated?: boolean;
}
