/**
 * Messages between the host (the manager's thread) and a script worker. The same shapes
 * travel over worker_threads' MessagePort in Node and over a Web Worker's postMessage in
 * browsers. Batches keep the number of messages, not the number of requests, low: one
 * `run` may carry many tasks and one `done` many results.
 */

/** One attempt of one request, as the worker receives it. */
export interface TaskMessage {
  /** Request id (core-assigned, safe integer). */
  id: number;
  /** Attempt number, echoed back so a late reply to an abandoned attempt is ignored. */
  attempt: number;
  /** The action (handler name) to run. */
  action: string;
  /** The caller's params, passed through untouched (structured clone, transferables kept). */
  params: unknown;
}

/** Host -> worker. */
export type HostMessage =
  /**
   * First message to every worker. `running`, where SharedArrayBuffer exists, is where the
   * worker records what it is running (see RunningRecord): if it dies, the host reads it to
   * blame exactly the attempts that were running, not a neighbour whose result was still
   * waiting to be sent.
   */
  | { type: 'init'; maxConcurrentTasks: number; running?: SharedArrayBuffer }
  | { type: 'run'; tasks: TaskMessage[] }
  | { type: 'abort'; id: number; attempt: number };

/** A handler's error, flattened so it survives structured cloning everywhere. */
export interface ErrorPayload {
  name: string;
  message: string;
  stack?: string;
  /** A `.code` the handler set on its error, kept for the caller. */
  code?: string;
}

export interface ResultMessage {
  id: number;
  attempt: number;
  ok: boolean;
  /** The handler's return value when ok. */
  value?: unknown;
  /** The handler's error when not ok. */
  error?: ErrorPayload;
  /**
   * How long the handler ran, timed by the worker (ms); absent when it never ran. The core
   * sizes the prefetch window from it: the host sees only when results arrive.
   */
  ms?: number;
}

/** Worker -> host. */
export type WorkerMessage =
  /** Sent once after the worker script has run defineWorker(). */
  | { type: 'ready'; actions: string[] }
  | { type: 'done'; results: ResultMessage[] }
  | { type: 'progress'; id: number; attempt: number; value: unknown };

/**
 * Checks a message that arrived from a worker before anything reads it. A worker script is
 * the user's code and may post anything on its port (null, a forged 'done', an object
 * whose getters throw); its messages are data, and one that does not have the protocol's
 * shape is that worker's fault, never the host's. Returns the message (a 'done' checked in
 * place, its failures' errors reduced to string fields; others rebuilt with only the
 * protocol's fields), or a description of what is wrong.
 */
export function decodeWorkerMessage(raw: unknown): { message: WorkerMessage } | { problem: string } {
  try {
    if (typeof raw !== 'object' || raw === null) return { problem: `expected a message object but received ${kindOf(raw)}` };
    const type = (raw as { type?: unknown }).type;
    if (type === 'ready') {
      const actions = (raw as { actions?: unknown }).actions;
      if (!Array.isArray(actions) || !actions.every((a) => typeof a === 'string')) return { problem: "expected a 'ready' message with an array of action names" };
      return { message: { type, actions: [...(actions as string[])] } };
    }
    if (type === 'progress') {
      const { id, attempt, value } = raw as { id?: unknown; attempt?: unknown; value?: unknown };
      if (!isRequestId(id) || !isAttempt(attempt)) return { problem: "expected a 'progress' message with a request id and an attempt number" };
      return { message: { type, id, attempt, value } };
    }
    if (type === 'done') {
      const results = (raw as { results?: unknown }).results;
      if (!Array.isArray(results)) return { problem: "expected a 'done' message with an array of results" };
      // Checked where they are (a message is the host's own copy): the hot path allocates
      // nothing here.
      for (let i = 0; i < results.length; i++) {
        const problem = checkResult(results[i]);
        if (problem !== undefined) return { problem: `expected result ${i} of a 'done' message to be ${problem}` };
      }
      return { message: { type, results: results as ResultMessage[] } };
    }
    return { problem: `expected a message of type 'ready', 'done' or 'progress' but received ${kindOf(type)}` };
  } catch {
    return { problem: 'expected a message whose fields can be read, but reading one threw' };
  }
}

/**
 * Checks one result of a 'done' message in place; returns what it should have been, or
 * undefined when it is one. A failure's error is replaced by one with string fields only.
 */
function checkResult(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null) return 'an object';
  const result = raw as Partial<Record<keyof ResultMessage, unknown>>;
  if (!isRequestId(result.id) || !isAttempt(result.attempt)) return 'an object with a request id and an attempt number';
  if (typeof result.ok !== 'boolean') return 'an object with a boolean ok';
  if (result.ms !== undefined && typeof result.ms !== 'number') return 'an object whose ms is a number';
  if (result.ok) return undefined;
  const error = result.error;
  if (typeof error !== 'object' || error === null) return 'an object with an error when not ok';
  const { name, message, stack, code } = error as Partial<Record<keyof ErrorPayload, unknown>>;
  const clean: ErrorPayload = { name: typeof name === 'string' ? name : 'Error', message: typeof message === 'string' ? message : '' };
  if (typeof stack === 'string') clean.stack = stack;
  if (typeof code === 'string') clean.code = code;
  result.error = clean;
  return undefined;
}

/** Request ids are safe integers from 1; attempts count from 1 to MAX_ATTEMPT. */
function isRequestId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;
}

/** The most attempts the core gives a request (1 + its most retries), as attempts cross. */
export const MAX_ATTEMPT = 255;

function isAttempt(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_ATTEMPT;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.slice(0, 40))}`;
  return typeof value;
}

/**
 * How a worker runs what it is sent: in arrival order, at most `maxConcurrentTasks` at a
 * time (async handlers), the rest waiting inside the worker. The host relies on that order
 * to know which attempts have started without a message per start.
 */
export const DEFAULT_MAX_CONCURRENT_TASKS = 1;

/**
 * The most attempts a worker holds beyond those it runs (the core's MAX_PREFETCH, see
 * core/include/threadbank/prefetch.h).
 */
export const MAX_PREFETCH = 64;

/**
 * What a worker has begun and not yet reported, in memory it shares with its host: one
 * [id, attempt] pair of float64 per attempt, the attempt negated once its handler returned,
 * 0 for a free place. An attempt enters when its handler begins and leaves only once the
 * message carrying its result has been posted, so an attempt that finished but whose result
 * had not left when the worker died is still here: when no handler was running, it is the
 * one to blame (a stray rejection it left behind), not the innocent attempts the worker held
 * without starting. The worker writes it; the host reads it only when the worker has died,
 * so plain reads do: nothing is racing them that matters.
 */
export class RunningRecord {
  readonly pairs: Float64Array;
  /** Free places, for the worker's side (the host only reads). */
  private readonly free: number[] = [];

  constructor(readonly buffer: SharedArrayBuffer) {
    this.pairs = new Float64Array(buffer);
    for (let place = this.pairs.length / 2 - 1; place >= 0; place--) this.free.push(place);
  }

  /**
   * A record for a worker running `maxConcurrentTasks` at once (and holding up to
   * MAX_PREFETCH more, any of which may be finished and unsent), or undefined where memory
   * cannot be shared.
   */
  static create(maxConcurrentTasks: number): RunningRecord | undefined {
    const places = Math.max(1, maxConcurrentTasks) + MAX_PREFETCH;
    // Browsers define SharedArrayBuffer only on cross-origin isolated pages.
    if (typeof SharedArrayBuffer !== 'function') return undefined;
    return new RunningRecord(new SharedArrayBuffer(places * 2 * Float64Array.BYTES_PER_ELEMENT));
  }

  /** Takes a free place for an attempt whose handler begins; -1 when there is none. */
  enter(id: number, attempt: number): number {
    const place = this.free.pop();
    if (place === undefined) return -1;
    this.pairs[place * 2] = id;
    this.pairs[place * 2 + 1] = attempt;
    return place;
  }

  /** The attempt's handler returned; its result has not left the worker yet. */
  finished(place: number): void {
    if (place >= 0) this.pairs[place * 2 + 1] = -Math.abs(this.pairs[place * 2 + 1]!);
  }

  /** The attempt's result has been posted: nothing of it is left to blame. */
  leave(place: number): void {
    if (place < 0) return;
    this.pairs[place * 2 + 1] = 0;
    this.free.push(place);
  }

  /**
   * Whom a death is charged to: the attempts whose handlers were running; when none was,
   * those that had finished with their results not yet sent (one of them left the fault
   * behind, such as a rejection nobody handled).
   */
  read(): { ids: number[]; attempts: number[] } {
    const running = { ids: [] as number[], attempts: [] as number[] };
    const unsent = { ids: [] as number[], attempts: [] as number[] };
    for (let place = 0; place * 2 < this.pairs.length; place++) {
      const attempt = this.pairs[place * 2 + 1]!;
      const into = attempt > 0 ? running : attempt < 0 ? unsent : undefined;
      into?.ids.push(this.pairs[place * 2]!);
      into?.attempts.push(Math.abs(attempt));
    }
    return running.ids.length > 0 ? running : unsent;
  }
}
