/**
 * The worker side of the protocol, independent of the platform: worker_threads, Web
 * Workers and test mode's in-process workers all run this.
 */
import type { ErrorPayload, HostMessage, ResultMessage, TaskMessage, WorkerMessage } from './protocol.js';
import { DEFAULT_MAX_CONCURRENT_TASKS } from './protocol.js';
import type { HandlerMap } from './worker-types.js';

export interface WorkerSidePort {
  post(message: WorkerMessage, transfer?: Transferable[]): void;
  onMessage(callback: (message: HostMessage) => void): void;
}

const TRANSFER = Symbol.for('threadbank.transfer');

interface Transferring {
  [TRANSFER]: true;
  value: unknown;
  transfer: Transferable[];
}

/** Returns `value` to the caller, moving (not copying) the listed buffers. */
export function transfer<T>(value: T, transferList: Transferable[]): T {
  return { [TRANSFER]: true, value, transfer: transferList } as unknown as T;
}

function isTransferring(value: unknown): value is Transferring {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[TRANSFER] === true;
}

function toErrorPayload(error: unknown): ErrorPayload {
  if (error instanceof Error) {
    const payload: ErrorPayload = { name: error.name, message: error.message };
    if (error.stack !== undefined) payload.stack = error.stack;
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string') payload.code = code;
    return payload;
  }
  return { name: 'Error', message: typeof error === 'string' ? error : `a non-Error value was thrown: ${String(error)}` };
}

function describeValue(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return 'a symbol';
  if (Array.isArray(value)) return 'an array holding values that cannot be cloned';
  return `${typeof value === 'object' ? 'an object' : typeof value} holding values that cannot be cloned`;
}

interface Running {
  task: TaskMessage;
  controller: AbortController;
}

export function runWorker(port: WorkerSidePort, handlers: HandlerMap): void {
  let maxConcurrent = DEFAULT_MAX_CONCURRENT_TASKS;
  const waiting: TaskMessage[] = [];
  const running = new Map<string, Running>();
  let results: ResultMessage[] = [];
  let transfers: Transferable[] = [];
  let flushScheduled = false;
  const key = (id: number, attempt: number) => `${id}:${attempt}`;

  // Results go out as one message per turn: every handler that finished synchronously in
  // this turn shares the message, which is what keeps tiny tasks cheap.
  const flush = () => {
    flushScheduled = false;
    if (results.length === 0) return;
    const batch = results;
    const batchTransfers = transfers;
    results = [];
    transfers = [];
    try {
      port.post({ type: 'done', results: batch }, batchTransfers);
    } catch {
      // Some result could not be cloned: send one by one so only the bad ones fail.
      for (const result of batch) {
        try {
          port.post({ type: 'done', results: [result] });
        } catch {
          port.post({
            type: 'done',
            results: [
              {
                id: result.id,
                attempt: result.attempt,
                ok: false,
                error: { name: 'DataCloneError', message: `Expected a structured-cloneable result but received ${describeValue(result.value)}`, code: 'E_HANDLER' },
              },
            ],
          });
        }
      }
    }
  };
  const scheduleFlush = () => {
    if (!flushScheduled) {
      flushScheduled = true;
      queueMicrotask(flush);
    }
  };

  const finish = (task: TaskMessage, outcome: { ok: true; value: unknown } | { ok: false; error: unknown }) => {
    running.delete(key(task.id, task.attempt));
    if (outcome.ok) {
      let value = outcome.value;
      if (isTransferring(value)) {
        transfers.push(...value.transfer);
        value = value.value;
      }
      results.push({ id: task.id, attempt: task.attempt, ok: true, value });
    } else {
      results.push({ id: task.id, attempt: task.attempt, ok: false, error: toErrorPayload(outcome.error) });
    }
    scheduleFlush();
    pump();
  };

  const start = (task: TaskMessage) => {
    const handler = Object.prototype.hasOwnProperty.call(handlers, task.action) ? handlers[task.action] : undefined;
    if (typeof handler !== 'function') {
      const error = Object.assign(new Error(`This worker has no handler for ${task.action}`), { code: 'E_UNKNOWN_TASK' });
      results.push({ id: task.id, attempt: task.attempt, ok: false, error: toErrorPayload(error) });
      scheduleFlush();
      return;
    }
    const controller = new AbortController();
    running.set(key(task.id, task.attempt), { task, controller });
    const ctx = {
      signal: controller.signal,
      requestId: task.id,
      attempt: task.attempt,
      action: task.action,
      progress: (value: unknown) => port.post({ type: 'progress', id: task.id, attempt: task.attempt, value }),
    };
    let returned: unknown;
    try {
      returned = handler(task.params, ctx);
    } catch (error) {
      finish(task, { ok: false, error });
      return;
    }
    if (returned !== null && typeof returned === 'object' && typeof (returned as PromiseLike<unknown>).then === 'function') {
      (returned as PromiseLike<unknown>).then(
        (value) => finish(task, { ok: true, value }),
        (error: unknown) => finish(task, { ok: false, error }),
      );
    } else {
      finish(task, { ok: true, value: returned });
    }
  };

  // Runs waiting tasks in arrival order while fewer than maxConcurrent are running.
  let pumping = false;
  const pump = () => {
    if (pumping) return;
    pumping = true;
    while (waiting.length > 0 && running.size < maxConcurrent) start(waiting.shift()!);
    pumping = false;
  };

  port.onMessage((message) => {
    switch (message.type) {
      case 'init':
        maxConcurrent = Math.max(1, message.maxConcurrentTasks | 0);
        pump();
        break;
      case 'run':
        waiting.push(...message.tasks);
        pump();
        break;
      case 'abort': {
        const active = running.get(key(message.id, message.attempt));
        if (active) {
          const reason = new Error(`Request ${message.id} was cancelled`);
          reason.name = 'AbortError';
          active.controller.abort(reason);
          break;
        }
        const at = waiting.findIndex((t) => t.id === message.id && t.attempt === message.attempt);
        if (at >= 0) {
          waiting.splice(at, 1);
          results.push({ id: message.id, attempt: message.attempt, ok: false, error: { name: 'AbortError', message: 'cancelled before it started', code: 'E_CANCELLED' } });
          scheduleFlush();
        }
        break;
      }
    }
  });
  port.post({ type: 'ready', actions: Object.keys(handlers).filter((name) => typeof handlers[name] === 'function') });
}
