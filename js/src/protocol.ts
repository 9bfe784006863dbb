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
  /** First message to every worker. */
  | { type: 'init'; maxConcurrentTasks: number }
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
