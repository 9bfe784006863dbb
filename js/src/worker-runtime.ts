/**
 * The worker side of the protocol (protocol.ts), independent of the platform: worker_threads,
 * Web Workers and test mode's in-process workers all run this over a small port.
 *
 * Tasks run in arrival order, at most `maxConcurrentTasks` at a time; the host counts on
 * that order to know which attempts have started without a message per start. Results are
 * sent in batches, one 'done' message for everything that finished in the same turn, so a
 * stream of tiny tasks costs one message per turn instead of one per task.
 */
import { describe, ThreadbankError } from './errors.js';
import type { ErrorPayload, HostMessage, ResultMessage, TaskMessage, WorkerMessage } from './protocol.js';
import { DEFAULT_MAX_CONCURRENT_TASKS, RunningRecord } from './protocol.js';
import type { Handler, HandlerContext, HandlerMap, TransferableObject } from './worker-types.js';

/** How the runtime talks to its host; each platform adapts its own messaging to this. */
export interface WorkerSidePort {
  /** Sends a message; throws (DataCloneError) if it cannot be cloned, like postMessage. */
  post(message: WorkerMessage, transfer?: TransferableObject[]): void;
  onMessage(callback: (message: HostMessage) => void): void;
}

/** Platform choices and test knobs. */
export interface RuntimeOptions {
  /**
   * Runs the batch flush later. Default queueMicrotask: right after the current message and
   * everything it ran synchronously, with no timer involved (test mode keeps working under
   * fake timers). Real workers pass a macrotask (setImmediate in Node, a MessageChannel in
   * browsers), which also merges the results of every message and timer handled in the
   * same event-loop turn. Measured on Node 20 worker_threads with tiny tasks and 16 in
   * flight: ~11 results per 'done' against 3-7 with a microtask, up to twice the
   * throughput, the same ~30 us round trip for a lone task. setTimeout(0) was ruled out:
   * 1 ms per hop in Node (4 ms when nested in browsers).
   */
  schedule?: (callback: () => void) => void;
  /** Milliseconds clock; default performance.now(). */
  now?: () => number;
}

/**
 * How long a finished result may wait to share a message with later ones. Before starting a
 * handler the runtime flushes what is waiting if it has waited this long, or if that
 * action's last synchronous run took this long (or it never ran): a finished result waits
 * behind a slow handler only when that handler was fast last time. The extra messages cost
 * at most one per millisecond, about 1% of a thread at ~10 us per postMessage. This holds
 * only with a shared running record; without one every start flushes first.
 */
const FLUSH_BUDGET_MS = 1;

// Symbol.for, not a module-local symbol: a worker script may load a second copy of this
// module (two bundles, or source and build side by side in a test), and a result wrapped
// by one copy must still be recognised by the other.
const TRANSFER = Symbol.for('threadbank.transfer');

interface Transferring {
  readonly [TRANSFER]: true;
  readonly value: unknown;
  readonly transfer: TransferableObject[];
}

/**
 * Marks a handler's result so the listed buffers are moved to the caller instead of copied:
 * `return transfer({ pixels }, [pixels.buffer])`. Wrap the whole return value; a wrapper
 * nested inside another object is not looked for. After the result is sent the buffers are
 * detached in the worker.
 */
export function transfer<T>(value: T, transferList: TransferableObject[]): T {
  if (!Array.isArray(transferList)) {
    throw new ThreadbankError('E_INVALID_ARGUMENT', `Expected an array of transferable objects for transfer() but received ${describe(transferList)}`);
  }
  // Typed as T so a handler's inferred result type stays the value it returns.
  const wrapper: Transferring = { [TRANSFER]: true, value, transfer: [...transferList] };
  return wrapper as unknown as T;
}

/** Checks what a script passed to defineWorker(): an object whose values are functions. */
export function checkHandlers(handlers: unknown): asserts handlers is HandlerMap {
  if (typeof handlers !== 'object' || handlers === null || Array.isArray(handlers)) {
    throw new ThreadbankError('E_INVALID_ARGUMENT', `Expected an object of handler functions for defineWorker() but received ${describe(handlers)}`);
  }
  for (const [name, handler] of Object.entries(handlers)) {
    if (typeof handler !== 'function') {
      throw new ThreadbankError('E_INVALID_ARGUMENT', `Expected a function for handler ${JSON.stringify(name)} but received ${describe(handler)}`);
    }
  }
}

function isTransferring(value: unknown): value is Transferring {
  return typeof value === 'object' && value !== null && (value as Partial<Record<symbol, unknown>>)[TRANSFER] === true;
}

/**
 * Flattens anything thrown into the protocol's error shape (plain strings only). Never
 * throws: an error whose fields cannot be read (throwing getters, a Proxy) becomes a plain
 * handler error with a generic message.
 */
export function toErrorPayload(error: unknown): ErrorPayload {
  try {
    return readErrorPayload(error);
  } catch {
    return { name: 'Error', message: 'the handler failed with a value that could not be described (reading it threw)' };
  }
}

function readErrorPayload(error: unknown): ErrorPayload {
  if (typeof error === 'object' && error !== null) {
    const fields = error as { name?: unknown; message?: unknown; stack?: unknown; code?: unknown };
    const payload: ErrorPayload = {
      name: typeof fields.name === 'string' ? fields.name : 'Error',
      message: typeof fields.message === 'string' ? fields.message : `a non-Error value was thrown: ${describe(error)}`,
    };
    if (typeof fields.stack === 'string') payload.stack = fields.stack;
    if (typeof fields.code === 'string') payload.code = fields.code;
    return payload;
  }
  return { name: 'Error', message: typeof error === 'string' ? error : `a non-Error value was thrown: ${describe(error)}` };
}

/**
 * Names what makes a value impossible to clone, for the error message: "a function",
 * "an object whose .data.fn is a function". Looks only at plain containers, and not for long.
 */
function describeUncloneable(value: unknown): string {
  try {
    return findUncloneable(value);
  } catch {
    return 'a value that could not be inspected (reading it threw)';
  }
}

function findUncloneable(value: unknown): string {
  const top = describe(value);
  if (typeof value !== 'object' || value === null) return top;
  const seen = new Set<object>();
  let budget = 10_000;
  const find = (node: unknown, path: string): string | undefined => {
    if (typeof node === 'function' || typeof node === 'symbol') return `${path} is ${describe(node)}`;
    if (typeof node !== 'object' || node === null || seen.has(node) || --budget < 0) return undefined;
    seen.add(node);
    if (node instanceof Map) {
      for (const [k, v] of node) {
        const found = find(k, `${path} (a Map key)`) ?? find(v, `${path}.get(${typeof k === 'string' ? JSON.stringify(k) : '...'})`);
        if (found) return found;
      }
      return undefined;
    }
    if (node instanceof Set) {
      for (const v of node) {
        const found = find(v, `${path} (a Set entry)`);
        if (found) return found;
      }
      return undefined;
    }
    const proto = Object.getPrototypeOf(node) as unknown;
    if (!Array.isArray(node) && proto !== Object.prototype && proto !== null) return undefined;
    for (const key of Object.keys(node)) {
      const found = find((node as Record<string, unknown>)[key], Array.isArray(node) ? `${path}[${key}]` : `${path}.${key}`);
      if (found) return found;
    }
    return undefined;
  };
  const found = find(value, '');
  return found ? `${top} whose ${found}` : top;
}

interface Pending {
  result: ResultMessage;
  /** For the message when the result cannot be cloned. */
  action: string;
  transfer: TransferableObject[];
  /** Its place in the running record, left once the result is posted (-1: none). */
  place: number;
}

interface Queued {
  task: TaskMessage;
  cancelled: boolean;
}

const taskKey = (id: number, attempt: number): string => `${id}:${attempt}`;

/** No progress value is held back for the next flush. */
const NOTHING_HELD = Symbol('nothing held');

/** Progress reports of one attempt posted at once per flush period before they are coalesced. */
const PROGRESS_BURST = 16;

/** A running attempt, as runWorker keeps it. */
interface RunningAttempt {
  controller: AbortController | undefined;
  /** Set when the host aborts the attempt (the reason is always an Error). */
  abortReason: Error | undefined;
  place: number;
}

/**
 * Runs `handlers` for the host on the other side of `port`. Posts 'ready' with the action
 * names before returning.
 */
export function runWorker(port: WorkerSidePort, handlers: HandlerMap, options: RuntimeOptions = {}): void {
  // Copied once, so a script that edits its handler object later changes nothing here, and
  // looked up with Map semantics, so 'toString' or '__proto__' is never mistaken for one.
  const table = new Map<string, Handler>();
  for (const [name, handler] of Object.entries(handlers)) {
    if (typeof handler === 'function') table.set(name, handler);
  }
  const now = options.now ?? (() => performance.now());
  const schedule = options.schedule ?? queueMicrotask;

  let maxConcurrent = DEFAULT_MAX_CONCURRENT_TASKS;
  const queue: Queued[] = [];
  let head = 0;
  const queued = new Map<string, Queued>();
  /**
   * Running attempts: how to abort each, and its place in the shared running record. The
   * AbortController is made when the handler first reads ctx.signal (most never do, and
   * making one was a tenth of a tiny task's cost in the worker); an abort that comes first
   * is kept and applied then.
   */
  const running = new Map<string, RunningAttempt>();
  /**
   * Shared with the host when memory can be shared. Without it the host can only go by
   * order, so results are flushed before every start (see pump) to keep that order exact.
   */
  let record: RunningRecord | undefined;
  /** The last synchronous run time per action, to decide whether to flush before it. */
  const syncCostMs = new Map<string, number>();

  let pending: Pending[] = [];
  let pendingSince = 0;
  let flushScheduled = false;

  const failure = (id: number, attempt: number, error: ErrorPayload): ResultMessage => ({ id, attempt, ok: false, error });

  const flush = (): void => {
    postProgress();
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    // A buffer listed by two results would make the whole post fail, so list it once.
    const transferList = [...new Set(batch.flatMap((p) => p.transfer))];
    let sent = false;
    try {
      port.post({ type: 'done', results: batch.map((p) => p.result) }, transferList);
      sent = true;
    } catch {
      // Some result could not be cloned (or transferred), or a getter threw while it was
      // read. Nothing was sent or detached, so send them one by one and fail only the bad ones.
    }
    if (!sent) for (const item of batch) postAlone(item);
    // Only now have these results left: until here the record blames them if we die.
    for (const item of batch) record?.leave(item.place);
  };

  /** Posts one result, or, if it cannot be sent, a handler failure saying why. */
  const postAlone = (item: Pending): void => {
    try {
      port.post({ type: 'done', results: [item.result] }, item.transfer);
      return;
    } catch (error) {
      let detail = '';
      try {
        detail = error instanceof Error && error.message ? ` (${error.message})` : '';
      } catch {
        // An error whose message cannot be read adds nothing.
      }
      port.post({
        type: 'done',
        results: [
          failure(item.result.id, item.result.attempt, {
            name: 'DataCloneError',
            message: `Expected a structured-cloneable result from ${item.action} but received ${describeUncloneable(item.result.value)}${detail}`,
            code: 'E_HANDLER',
          }),
        ],
      });
    }
  };

  /**
   * Progress of each attempt since the last flush: how many reports went out at once, and
   * the latest one held back. A handler that reports progress in a tight loop sends at most
   * PROGRESS_BURST messages and then one per flush, the latest value, not one per call.
   */
  const progressDue = new Map<string, { id: number; attempt: number; sent: number; value: unknown }>();
  const postProgress = (): void => {
    if (progressDue.size === 0) return;
    const due = [...progressDue.values()];
    progressDue.clear();
    for (const { id, attempt, value } of due) {
      if (value === NOTHING_HELD) continue;
      try {
        port.post({ type: 'progress', id, attempt, value });
      } catch {
        // Checked when it was reported (see ctx.progress); a value changed since is dropped.
      }
    }
  };

  const push = (item: Pending): void => {
    if (pending.length === 0) pendingSince = now();
    pending.push(item);
    scheduleFlush();
  };

  const scheduleFlush = (): void => {
    if (!flushScheduled) {
      flushScheduled = true;
      // Everything that finishes before this runs shares one 'done'. shouldFlushBefore()
      // bounds how long a result can wait for it.
      schedule(() => {
        flushScheduled = false;
        flush();
      });
    }
  };

  const finish = (task: TaskMessage, outcome: { ok: true; value: unknown } | { ok: false; error: unknown }, ms: number): void => {
    const key = taskKey(task.id, task.attempt);
    // The place stays taken until the result is posted (see flush).
    const place = running.get(key)?.place ?? -1;
    record?.finished(place);
    running.delete(key);
    let value: unknown;
    let transferList: TransferableObject[] = [];
    if (outcome.ok) {
      try {
        value = outcome.value;
        if (isTransferring(value)) [value, transferList] = [value.value, [...value.transfer]];
      } catch (error) {
        // A returned Proxy whose traps throw: a failure of the handler, not of this worker.
        outcome = { ok: false, error };
      }
    }
    if (outcome.ok) {
      push({ result: { id: task.id, attempt: task.attempt, ok: true, value, ms }, action: task.action, transfer: transferList, place });
    } else {
      const result = failure(task.id, task.attempt, toErrorPayload(outcome.error));
      result.ms = ms;
      push({ result, action: task.action, transfer: [], place });
    }
    pump();
  };

  const start = (task: TaskMessage): void => {
    const handler = table.get(task.action);
    if (handler === undefined) {
      const known = [...table.keys()].join(', ') || 'none';
      push({
        result: failure(task.id, task.attempt, {
          name: 'ThreadbankError',
          message: `Expected an action this worker defines (${known}) but received ${JSON.stringify(task.action)}`,
          code: 'E_UNKNOWN_TASK',
        }),
        action: task.action,
        transfer: [],
        place: -1,
      });
      return;
    }
    let place = record?.enter(task.id, task.attempt) ?? -1;
    if (record !== undefined && place < 0) {
      // Every place holds a result not yet sent: send them, which frees their places.
      flush();
      place = record.enter(task.id, task.attempt);
    }
    const attempt: RunningAttempt = { controller: undefined, abortReason: undefined, place };
    running.set(taskKey(task.id, task.attempt), attempt);
    let settled = false;
    let startedAt = 0;
    /** `ms`: the handler's run time when the caller has just measured it. */
    const settle = (outcome: { ok: true; value: unknown } | { ok: false; error: unknown }, ms = now() - startedAt): void => {
      if (settled) return;
      settled = true;
      finish(task, outcome, ms);
    };
    const ctx: HandlerContext = {
      get signal(): AbortSignal {
        if (attempt.controller === undefined) {
          attempt.controller = new AbortController();
          if (attempt.abortReason !== undefined) attempt.controller.abort(attempt.abortReason);
        }
        return attempt.controller.signal;
      },
      requestId: task.id,
      attempt: task.attempt,
      action: task.action,
      progress: (value: unknown) => {
        // After the result, progress has no listener left; dropping it is not an error.
        if (settled) return;
        const key = taskKey(task.id, task.attempt);
        let due = progressDue.get(key);
        if (due === undefined) {
          due = { id: task.id, attempt: task.attempt, sent: 0, value: NOTHING_HELD };
          progressDue.set(key, due);
          scheduleFlush();
        }
        if (due.sent >= PROGRESS_BURST) {
          // Enough went out in this flush period: the latest value waits for the flush.
          due.value = value;
          return;
        }
        // Reports within the burst go at once, so a clone failure reaches the caller.
        try {
          port.post({ type: 'progress', id: task.id, attempt: task.attempt, value });
        } catch (error) {
          throw new ThreadbankError('E_HANDLER', `Expected a structured-cloneable progress value from ${task.action} but received ${describeUncloneable(value)}`, { cause: error });
        }
        due.sent++;
      },
    };
    startedAt = now();
    let returned: unknown;
    try {
      returned = handler(task.params, ctx);
    } catch (error) {
      const syncMs = now() - startedAt;
      syncCostMs.set(task.action, syncMs);
      settle({ ok: false, error }, syncMs);
      return;
    }
    const syncMs = now() - startedAt;
    syncCostMs.set(task.action, syncMs);
    let thenable: boolean;
    try {
      thenable = typeof returned === 'object' && returned !== null && typeof (returned as PromiseLike<unknown>).then === 'function';
    } catch (error) {
      // A returned Proxy (or a getter on .then) that throws: the handler's failure.
      settle({ ok: false, error }, syncMs);
      return;
    }
    if (thenable) {
      // Promise.resolve adopts foreign thenables safely (a throwing .then becomes a rejection).
      Promise.resolve(returned).then(
        (value) => settle({ ok: true, value }),
        (error: unknown) => settle({ ok: false, error }),
      );
    } else {
      settle({ ok: true, value: returned }, syncMs);
    }
  };

  const shouldFlushBefore = (action: string): boolean => {
    if (pending.length === 0) return false;
    if (now() - pendingSince >= FLUSH_BUDGET_MS) return true;
    // An action never seen is assumed slow: one extra message per action name, once.
    return (syncCostMs.get(action) ?? Infinity) >= FLUSH_BUDGET_MS;
  };

  // Starts waiting tasks in arrival order while fewer than maxConcurrent are running. Sync
  // handlers finish inside start() and call pump() again; the flag keeps that from nesting.
  let pumping = false;
  const pump = (): void => {
    if (pumping) return;
    pumping = true;
    try {
      while (head < queue.length && running.size < maxConcurrent) {
        const next = queue[head++]!;
        if (next.cancelled) continue;
        queued.delete(taskKey(next.task.id, next.task.attempt));
        if (record === undefined ? pending.length > 0 : shouldFlushBefore(next.task.action)) flush();
        start(next.task);
      }
      // Drop what was consumed once it is most of the array, so the queue does not grow.
      if (head > 64 && head * 2 >= queue.length) {
        queue.splice(0, head);
        head = 0;
      }
    } finally {
      pumping = false;
    }
  };

  const abort = (id: number, attempt: number): void => {
    const key = taskKey(id, attempt);
    const runningAttempt = running.get(key);
    if (runningAttempt) {
      // The handler decides how to stop; its result (or error) is still reported.
      if (runningAttempt.abortReason !== undefined) return;
      const reason = Object.assign(new Error(`Request ${id} was cancelled`), { name: 'AbortError', code: 'E_CANCELLED' });
      runningAttempt.abortReason = reason;
      runningAttempt.controller?.abort(reason);
      return;
    }
    const waiting = queued.get(key);
    if (waiting) {
      waiting.cancelled = true;
      queued.delete(key);
      push({
        result: failure(id, attempt, { name: 'AbortError', message: `Request ${id} was cancelled before it started`, code: 'E_CANCELLED' }),
        action: waiting.task.action,
        transfer: [],
        place: -1,
      });
    }
    // Otherwise it already finished (its result is sent or about to be): nothing to do.
  };

  port.onMessage((message) => {
    switch (message.type) {
      case 'init': {
        const limit = Math.floor(Number(message.maxConcurrentTasks));
        maxConcurrent = Number.isFinite(limit) && limit >= 1 ? limit : DEFAULT_MAX_CONCURRENT_TASKS;
        if (typeof SharedArrayBuffer === 'function' && message.running instanceof SharedArrayBuffer) record = new RunningRecord(message.running);
        pump();
        break;
      }
      case 'run':
        for (const task of message.tasks) {
          const key = taskKey(task.id, task.attempt);
          // The host never sends an attempt twice; if it did, running it twice would
          // report two results for one attempt.
          if (queued.has(key) || running.has(key)) continue;
          const entry: Queued = { task, cancelled: false };
          queued.set(key, entry);
          queue.push(entry);
        }
        pump();
        break;
      case 'abort':
        abort(message.id, message.attempt);
        break;
    }
  });
  port.post({ type: 'ready', actions: [...table.keys()] });
}
