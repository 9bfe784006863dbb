/**
 * The shape of a compiled core as the TS layer sees it. The Node addon and the wasm module
 * both implement it, so the manager is written once.
 */
import type { Wire } from './wire.js';

/**
 * What the core hands over in one crossing (drain() and the outbox callback): its numbers in
 * one flat list, laid out as js/src/wire.ts says (bindings/shared/views.h writes them), either alone
 * (the Node addon, when no settlement carries a value or a message) or with `values` and
 * `messages`, one per settlement (null where there is none).
 */
export type OutboxBatch = Float64Array | readonly [numbers: ArrayLike<number>, values: unknown[] | null, messages: (string | null | undefined)[] | null];


export interface EngineConfigInput {
  name: string;
  maxQueue: number;
  historyLimit: number;
  defaultRetries: number;
  retryBaseMs: number;
  retryMaxMs: number;
  agingStepMs: number;
  maxPayloadBytes: number;
  manualClock?: boolean;
  startTimeMs?: number;
}

export interface BankInput {
  id: string;
  kind: 'native' | 'script';
  workerCount: number;
  strategy: string;
  concurrency: number;
  prefetch: number | 'auto';
  /** Script workers not yet ready: no work goes to them until workerStarted(). */
  starting?: number[];
  manifest?: unknown;
  builtin?: string;
}

export interface NativeEngine {
  registerBank(bank: BankInput): number;
  registerTask(task: string, bank: string, action: string): void;
  /**
   * Several submits in one call, in order (see submit-batch.ts). `numbers` holds taskIndex
   * (-1: by name), priority, timeoutMs, retries and payloadBytes of each; params are each
   * one's segment of `paramsText` (JSON texts joined by NUL) or, where that is empty, its
   * entry of `paramsValues`. Each accepted id is written to `ids`. Returns null when all
   * were accepted, else the error of each refused one at its index. With `waitForRoom`,
   * a submit over the queue bound is accepted to wait for room (queueFullBehavior 'wait';
   * the core keeps them in order and moves them into the queue as room frees).
   */
  submitMany(
    tasks: string[],
    paramsText: string,
    paramsValues: unknown[] | undefined,
    numbers: Float64Array,
    clientIds: (string | undefined)[] | undefined,
    bankIds: (string | undefined)[] | undefined,
    ids: Float64Array,
    waitForRoom: boolean,
  ): (unknown | undefined)[] | null;
  /** The index submitMany may name `task` by, or -1 while no bank runs it. */
  taskIndex(task: string): number;
  cancel(id: number, code?: number, message?: string): boolean;
  /** These script attempts began running: (requestId, attempt) pairs. */
  started(pairs: Float64Array): void;
  /**
   * Results of script attempts: COMPLETE.SIZE numbers each in `numbers` (js/src/wire.ts), and where some
   * failed, their messages at the same index; then `started` as started() takes it (the
   * attempts that began once these freed their places). Returns the outbox drained right
   * after (the freed slots usually take more work), as drain() would, or null when empty.
   * Writes each result's ACCEPTED field before returning.
   */
  completeBatch(bank: number, worker: number, numbers: Float64Array, messages: (string | undefined)[] | undefined, started?: Float64Array): OutboxBatch | null;
  /**
   * A worker died. `runningIds`/`runningAttempts` list what it was running when the host
   * knows (shared progress memory); without them the core blames what was reported started.
   * Returns how long to wait before starting the replacement (ms): the restart backoff.
   */
  workerLost(bank: number, worker: number, code: number, message: string, runningIds?: number[], runningAttempts?: number[]): number;
  workerReplaced(bank: number, worker: number): void;
  /** A worker the bank was registered with as `starting` is ready for work. */
  workerStarted(bank: number, worker: number): void;
  bankCommand(bankId: string, command: 'pause' | 'resume' | 'drain'): void;
  /** Ends everything of a bank that cannot work any more, with `code`; it takes nothing new. */
  stopBank(bankId: string, code: number, message: string): void;
  setConcurrency(bankId: string, limit: number): void;
  drain(): OutboxBatch | null;
  setEventMask(mask: number): void;
  metrics(): unknown;
  workerStatus(): unknown;
  banks(): unknown;
  balanceReport(bankId: string): unknown;
  query(query: Record<string, unknown>): unknown;
  request(id: number): unknown;
  prometheus(): string;
  advanceTime(ms: number): void;
  nowMs(): number;
  shutdown(drain: boolean): void;
  finished(): boolean;
  /** Wakes native workers that submits left asleep with work queued; called from each flush. */
  wakeNative(): void;
  ref(): void;
  unref(): void;
  close(): void;
}

/** A loaded core: the engine class, the name tables generated from the core's enums, and the wire layout. */
export interface CoreModule {
  /** The wire as the core lays it out (js/src/wire.ts declares the same; a test pins both). */
  wire: Wire;
  NativeEngine: new (config: EngineConfigInput, onOutbox: (batch: OutboxBatch) => void) => NativeEngine;
  errorCodes: string[];
  eventTypes: string[];
  requestStatuses: string[];
  workerStates: string[];
  bankStatuses: string[];
}
