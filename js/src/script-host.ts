/**
 * Starting script workers differs per platform (worker_threads, Web Workers, in-process for
 * test mode); talking to them does not. A host starts one worker and reports its messages.
 */
import type { HostMessage, WorkerMessage } from './protocol.js';
import type { WorkerResourceLimits, WorkerScript } from './types.js';
import type { TransferableObject } from './worker-types.js';

export interface ScriptWorkerHandle {
  post(message: HostMessage, transfer?: TransferableObject[]): void;
  terminate(): Promise<void>;
  /** Resolves with the worker's actions once it called defineWorker(). */
  ready: Promise<string[]>;
  ref?(): void;
  unref?(): void;
}

export interface SpawnOptions {
  name: string;
  startTimeoutMs: number;
  /** Heap and stack limits, where the platform has them (Node's worker_threads). */
  resourceLimits?: WorkerResourceLimits;
  onMessage(message: WorkerMessage): void;
  /** Called at most once, when the worker dies without being terminated by us. */
  onExit(error: Error): void;
}

export type ScriptHost = (script: WorkerScript, options: SpawnOptions) => ScriptWorkerHandle;
