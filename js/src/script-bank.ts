/**
 * The workers of one script bank, from the host's side: batching attempts into messages,
 * knowing which attempts a worker has started, replacing workers that die or hang.
 */
import { RunningRecord, type HostMessage, type ResultMessage, type TaskMessage, type WorkerMessage } from './protocol.js';
import type { ScriptHost, ScriptWorkerHandle } from './script-host.js';
import type { WorkerResourceLimits, WorkerScript } from './types.js';
import type { TransferableObject } from './worker-types.js';

export interface ScriptBankOptions {
  bankId: string;
  script: WorkerScript;
  workerCount: number;
  maxConcurrentTasks: number;
  host: ScriptHost;
  startTimeoutMs: number;
  resourceLimits: WorkerResourceLimits | undefined;
  cancelGraceMs: number;
  /**
   * A message from `worker`. For 'done', `started` lists the attempts that began running
   * once its results freed their places (workers run what they hold in order), as
   * (id, attempt) pairs, so both reach the core in one call.
   */
  onMessage(worker: number, message: WorkerMessage, started: number[]): void;
  /** These attempts began running, as they were sent to an idle worker: (id, attempt) pairs. */
  onStarted(pairs: number[]): void;
  /**
   * A worker died (`crashed`) or was stopped by us (after a timeout or an ignored cancel);
   * `running` is what it had begun and not reported (empty when we stopped it: what it ran
   * besides the attempt we stopped it for is innocent). Returns how long to wait before
   * starting its replacement (ms), the core's restart backoff.
   */
  onLost(worker: number, message: string, running: { ids: number[]; attempts: number[] }, crashed: boolean): number;
  onReplaced(worker: number): void;
  /** A worker that was still starting when start() resolved is ready (first start only). */
  onReady(worker: number): void;
  /** No worker can be started any more. */
  onBroken(message: string): void;
}

interface Held {
  id: number;
  attempt: number;
}

interface Slot {
  handle: ScriptWorkerHandle | undefined;
  /** Bumped on every replacement; messages from an older generation are ignored. */
  generation: number;
  /** Attempts sent to the worker and not yet answered, in the order sent. */
  held: Held[];
  /** How many of `held` (from the front) are running, as far as the order tells. */
  running: number;
  /** What the worker records as running, where memory can be shared. */
  record: RunningRecord | undefined;
  outgoing: TaskMessage[];
  /**
   * Each outgoing task's own transferables, at its index (a task posted alone must carry
   * only its own); undefined while no task of the message has any.
   */
  transfers: (TransferableObject[] | undefined)[] | undefined;
  failedStarts: number;
  /** A replacement waiting out the restart backoff. */
  restartTimer: ReturnType<typeof setTimeout> | undefined;
  /** Whether a worker in this slot was ever ready (its later ones are replacements). */
  everReady: boolean;
  graceTimers: Map<string, ReturnType<typeof setTimeout>>;
}

/** Consecutive failed starts after which a worker slot is given up. */
const MAX_FAILED_STARTS = 3;

export class ScriptBank {
  /** The core's index for this bank, set once registered. */
  index = -1;
  /** The bank's actions in the core's order (dispatches name them by index), set once registered. */
  actions: readonly string[] = [];
  private readonly slots: Slot[] = [];
  private terminated = false;
  private lastStartError = '';

  constructor(private readonly options: ScriptBankOptions) {
    for (let i = 0; i < options.workerCount; i++) {
      this.slots.push({ handle: undefined, generation: 0, held: [], running: 0, record: undefined, outgoing: [], transfers: undefined, failedStarts: 0, restartTimer: undefined, everReady: false, graceTimers: new Map() });
    }
  }

  get bankId(): string {
    return this.options.bankId;
  }

  /**
   * Starts every worker and resolves with the actions the script defines as soon as the
   * first is ready: the others keep starting (see starting()) and are reported by onReady,
   * or retried like replacements if they fail. Rejects, stopping them all, if one fails
   * before any is ready (a script that throws at load fails in every worker).
   */
  start(): Promise<string[]> {
    return new Promise((resolve, reject) => {
      let settled = false;
      this.slots.forEach((slot, worker) => {
        this.spawn(worker).then(
          (actions) => {
            slot.everReady = true;
            if (!settled) {
              settled = true;
              resolve(actions);
            } else if (this.index >= 0 && !this.terminated) {
              this.options.onReady(worker);
            }
          },
          (error: Error) => {
            if (!settled) {
              settled = true;
              void this.terminate().then(() => reject(error));
            } else {
              this.startFailed(worker, error);
            }
          },
        );
      });
    });
  }

  /** Workers that have not been ready yet: the core gives them no work until onReady. */
  starting(): number[] {
    return this.slots.flatMap((slot, worker) => (slot.everReady ? [] : [worker]));
  }

  /** Adds an attempt to the next message for `worker`. */
  queue(worker: number, task: TaskMessage, transfer: TransferableObject[] | undefined): void {
    const slot = this.slots[worker];
    if (!slot) return;
    if (transfer !== undefined && transfer.length > 0) (slot.transfers ??= [])[slot.outgoing.length] = transfer;
    slot.outgoing.push(task);
    slot.held.push({ id: task.id, attempt: task.attempt });
  }

  /** Sends what was queued, one message per worker, and reports newly started attempts. */
  send(): void {
    const started: number[] = [];
    this.slots.forEach((slot, worker) => {
      if (slot.outgoing.length === 0) return;
      const tasks = slot.outgoing;
      const transfers = slot.transfers;
      slot.outgoing = [];
      slot.transfers = undefined;
      this.post(worker, slot, tasks, transfers);
      this.markStarted(slot, started);
    });
    if (started.length > 0) this.options.onStarted(started);
  }

  /** An attempt is no longer wanted: stop it, or replace the worker if it cannot be. */
  abort(worker: number, id: number, attempt: number, timedOut: boolean): void {
    const slot = this.slots[worker];
    if (!slot || !slot.held.some((h) => h.id === id && h.attempt === attempt)) return;
    if (timedOut) {
      // A handler past its timeout may never return: the worker is replaced at once.
      this.replace(worker, `terminated after request ${id} ran past its timeout`, false);
      return;
    }
    slot.handle?.post({ type: 'abort', id, attempt });
    const key = `${id}:${attempt}`;
    const generation = slot.generation;
    const timer = setTimeout(() => {
      slot.graceTimers.delete(key);
      if (slot.generation === generation && slot.held.some((h) => h.id === id && h.attempt === attempt)) {
        this.replace(worker, `terminated because cancelled request ${id} did not stop within ${this.options.cancelGraceMs} ms`, false);
      }
    }, this.options.cancelGraceMs);
    (timer as { unref?: () => void }).unref?.();
    slot.graceTimers.set(key, timer);
  }

  async terminate(): Promise<void> {
    this.terminated = true;
    await Promise.all(
      this.slots.map(async (slot) => {
        for (const timer of slot.graceTimers.values()) clearTimeout(timer);
        slot.graceTimers.clear();
        clearTimeout(slot.restartTimer);
        slot.restartTimer = undefined;
        const handle = slot.handle;
        slot.handle = undefined;
        slot.generation++;
        await handle?.terminate();
      }),
    );
  }

  private post(worker: number, slot: Slot, tasks: TaskMessage[], transfers: (TransferableObject[] | undefined)[] | undefined): void {
    const handle = slot.handle;
    if (!handle) return;
    // A buffer listed by two requests would make the whole post fail, so list it once.
    const transfer = transfers === undefined ? [] : [...new Set(transfers.flatMap((own) => own ?? []))];
    try {
      handle.post({ type: 'run', tasks }, transfer);
      return;
    } catch {
      // Some payload could not be cloned: send one by one so only the bad ones fail, each
      // with its own transferables only (another's would fail it, or move that one's).
    }
    const failed: ResultMessage[] = [];
    for (const [i, task] of tasks.entries()) {
      const own = transfers?.[i];
      try {
        handle.post({ type: 'run', tasks: [task] }, own !== undefined && own.length > 0 ? own : undefined);
      } catch (error) {
        const message = `Expected structured-cloneable params for ${task.action} but they could not be cloned (${(error as Error).message})`;
        failed.push({ id: task.id, attempt: task.attempt, ok: false, error: { name: 'DataCloneError', message, code: 'E_INVALID_PARAMS' } });
      }
    }
    // As if the worker had answered them, so the slot stops holding them too. After every
    // post: the answer frees places the core may fill at once, and what it sends must
    // reach the worker after this batch, in the order the slot holds it.
    if (failed.length > 0) this.onMessage(worker, slot.generation, { type: 'done', results: failed });
  }

  private markStarted(slot: Slot, started: number[]): void {
    const limit = Math.min(slot.held.length, this.options.maxConcurrentTasks);
    while (slot.running < limit) {
      const held = slot.held[slot.running]!;
      started.push(held.id, held.attempt);
      slot.running++;
    }
  }

  private onMessage(worker: number, generation: number, message: WorkerMessage): void {
    const slot = this.slots[worker];
    if (!slot || slot.generation !== generation) return;
    const started: number[] = [];
    if (message.type === 'progress') {
      // Progress only for an attempt this worker holds: another request's listeners must
      // not hear from a worker that never ran it.
      if (!slot.held.some((h) => h.id === message.id && h.attempt === message.attempt)) return;
    } else if (message.type === 'done') {
      for (const result of message.results) {
        const at = slot.held.findIndex((h) => h.id === result.id && h.attempt === result.attempt);
        if (at < 0) continue;
        slot.held.splice(at, 1);
        if (at < slot.running) slot.running--;
        if (slot.graceTimers.size > 0) {
          const key = `${result.id}:${result.attempt}`;
          clearTimeout(slot.graceTimers.get(key));
          slot.graceTimers.delete(key);
        }
      }
      this.markStarted(slot, started);
    }
    this.options.onMessage(worker, message, started);
  }

  private spawn(worker: number): Promise<string[]> {
    const slot = this.slots[worker]!;
    const generation = ++slot.generation;
    // Until the worker is ready, a death is reported by `ready` rejecting (and retried by
    // respawn); after it, by onExit.
    let isReady = false;
    const handle = this.options.host(this.options.script, {
      name: `${this.options.bankId}#${worker}`,
      startTimeoutMs: this.options.startTimeoutMs,
      ...(this.options.resourceLimits ? { resourceLimits: this.options.resourceLimits } : {}),
      onMessage: (message) => this.onMessage(worker, generation, message),
      onExit: (error) => {
        if (isReady && slot.generation === generation && !this.terminated) this.replace(worker, error.message, true);
      },
    });
    slot.handle = handle;
    slot.record = RunningRecord.create(this.options.maxConcurrentTasks);
    try {
      handle.post({ type: 'init', maxConcurrentTasks: this.options.maxConcurrentTasks, running: slot.record?.buffer });
    } catch {
      // The shared memory could not be sent (a host without it): go by order instead.
      slot.record = undefined;
      handle.post({ type: 'init', maxConcurrentTasks: this.options.maxConcurrentTasks });
    }
    return handle.ready.then((actions) => {
      isReady = true;
      // Starting keeps the process alive (someone awaits it); a ready, idle worker does
      // not: pending requests keep the loop alive through the core instead.
      handle.unref?.();
      return actions;
    });
  }

  /**
   * Terminates the worker in `worker`'s slot (if any) and starts a new one, after the
   * restart backoff. `crashed`: it died on its own (else we stopped it).
   */
  private replace(worker: number, reason: string, crashed: boolean): void {
    if (this.terminated) return;
    const slot = this.slots[worker]!;
    const old = slot.handle;
    // Read before the slot is reset. Without a record, the worker ran in order and sent
    // every earlier result before starting (worker-runtime), so the front of `held` is it.
    const running = !crashed
      ? { ids: [], attempts: [] }
      : (slot.record?.read() ?? {
          ids: slot.held.slice(0, slot.running).map((h) => h.id),
          attempts: slot.held.slice(0, slot.running).map((h) => h.attempt),
        });
    slot.record = undefined;
    slot.handle = undefined;
    slot.generation++;
    slot.held = [];
    slot.running = 0;
    slot.outgoing = [];
    slot.transfers = undefined;
    for (const timer of slot.graceTimers.values()) clearTimeout(timer);
    slot.graceTimers.clear();
    void old?.terminate();
    const delayMs = this.options.onLost(worker, reason, running, crashed);
    if (!(delayMs > 0)) {
      this.respawn(worker);
      return;
    }
    // A worker that keeps dying is restarted less and less often (the core's backoff).
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = undefined;
      this.respawn(worker);
    }, delayMs);
    // Pending requests keep the process alive through the core; an idle one may exit.
    (slot.restartTimer as { unref?: () => void }).unref?.();
  }

  private respawn(worker: number): void {
    if (this.terminated) return;
    const slot = this.slots[worker]!;
    this.spawn(worker).then(
      () => {
        slot.failedStarts = 0;
        if (this.terminated) return;
        if (slot.everReady) {
          this.options.onReplaced(worker);
        } else {
          slot.everReady = true;
          this.options.onReady(worker);
        }
      },
      (error: Error) => this.startFailed(worker, error),
    );
  }

  /** A start failed: try again, or give the slot up after MAX_FAILED_STARTS in a row. */
  private startFailed(worker: number, error: Error): void {
    if (this.terminated) return;
    const slot = this.slots[worker]!;
    this.lastStartError = error.message;
    slot.failedStarts++;
    if (slot.failedStarts >= MAX_FAILED_STARTS) {
      slot.handle = undefined;
      if (this.slots.every((s) => s.failedStarts >= MAX_FAILED_STARTS)) {
        this.options.onBroken(`no worker of bank ${this.options.bankId} could be started: ${this.lastStartError}`);
      }
      return;
    }
    this.respawn(worker);
  }
}
