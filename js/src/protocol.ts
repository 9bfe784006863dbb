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
 * How a worker runs what it is sent: in arrival order, at most `maxConcurrentTasks` at a
 * time (async handlers), the rest waiting inside the worker. The host relies on that order
 * to know which attempts have started without a message per start.
 */
export const DEFAULT_MAX_CONCURRENT_TASKS = 1;

/**
 * What a worker is running, in memory it shares with its host: one [id, attempt] pair of
 * float64 per concurrent task, attempt 0 for a free place. The worker writes it; the host
 * reads it only when the worker has died or is being given up (hung), so plain reads do:
 * nothing is racing them that matters.
 */
export class RunningRecord {
  readonly pairs: Float64Array;

  constructor(readonly buffer: SharedArrayBuffer) {
    this.pairs = new Float64Array(buffer);
  }

  /** A record for `places` concurrent tasks, or undefined where memory cannot be shared. */
  static create(places: number): RunningRecord | undefined {
    // Browsers define SharedArrayBuffer only on cross-origin isolated pages.
    if (typeof SharedArrayBuffer !== 'function') return undefined;
    return new RunningRecord(new SharedArrayBuffer(Math.max(1, places) * 2 * Float64Array.BYTES_PER_ELEMENT));
  }

  /** Takes a free place for an attempt; -1 when there is none (then it is not recorded). */
  enter(id: number, attempt: number): number {
    for (let place = 0; place * 2 < this.pairs.length; place++) {
      if (this.pairs[place * 2 + 1] === 0) {
        this.pairs[place * 2] = id;
        this.pairs[place * 2 + 1] = attempt;
        return place;
      }
    }
    return -1;
  }

  leave(place: number): void {
    if (place >= 0) this.pairs[place * 2 + 1] = 0;
  }

  /** The attempts recorded as running. */
  read(): { ids: number[]; attempts: number[] } {
    const ids: number[] = [];
    const attempts: number[] = [];
    for (let place = 0; place * 2 < this.pairs.length; place++) {
      const attempt = this.pairs[place * 2 + 1]!;
      if (attempt > 0) {
        ids.push(this.pairs[place * 2]!);
        attempts.push(attempt);
      }
    }
    return { ids, attempts };
  }
}
