/**
 * Starts one script worker on Node's worker_threads and reports, once, how it ended.
 *
 * A worker can end in several ways we did not ask for: it throws (at load or later, an
 * unhandled rejection included: Node turns it into an uncaught exception), calls
 * process.exit(), or sends a message that cannot be deserialized (we end it: a lost 'done'
 * would leave requests pending forever). Node reports these as 'error', 'exit' and
 * 'messageerror' events, sometimes two of them for one death ('error' then 'exit'); this
 * file folds them into one onExit call, and none at all for terminate().
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, type ResourceLimits } from 'node:worker_threads';

import { describe, ThreadbankError } from '../errors.js';
import { decodeWorkerMessage, type HostMessage, type WorkerMessage } from '../protocol.js';
import type { TransferableObject } from '../worker-types.js';

/** How long a worker may take to call defineWorker() unless told otherwise. */
export const DEFAULT_START_TIMEOUT_MS = 10_000;

export interface ScriptWorkerOptions {
  /** Thread name (shown in debuggers and heap snapshots), e.g. `${bankId}#${index}`. */
  name: string;
  resourceLimits?: ResourceLimits;
  /** How long the script may take to call defineWorker(); default 10 s. */
  startTimeoutMs?: number;
  /** Every message but 'ready' (which resolves `ready`). */
  onMessage(message: WorkerMessage): void;
  /**
   * Called exactly once when a started worker ends without terminate(): a crash, an exit,
   * an undeliverable message, or no defineWorker() in time (then `ready` rejects too).
   * The error has code E_WORKER_CRASHED and the original error, if any, as its cause.
   */
  onExit(error: Error): void;
}

export interface ScriptWorkerHandle {
  post(message: HostMessage, transfer?: TransferableObject[]): void;
  /** Stops the worker; onExit is not called for it. Safe to call more than once. */
  terminate(): Promise<void>;
  /**
   * The actions the script defined. Rejects if the worker ends, or does not call
   * defineWorker() within the start timeout, first; or (E_INVALID_ARGUMENT) if the script
   * file does not exist.
   */
  ready: Promise<string[]>;
  /** Whether this worker keeps the process alive (workers do by default). */
  ref(): void;
  unref(): void;
}

/** The script as a file path: accepts paths, file: URLs and strings holding one. */
function scriptFile(script: string | URL): string {
  if (script instanceof URL) {
    if (script.protocol !== 'file:') throw new ThreadbankError('E_INVALID_ARGUMENT', `Expected a file path or file: URL for the worker script but received ${script.href}`);
    return fileURLToPath(script);
  }
  if (typeof script !== 'string' || script === '') {
    throw new ThreadbankError('E_INVALID_ARGUMENT', `Expected a file path or file: URL for the worker script but received ${describe(script)}`);
  }
  // A URL in a string. Schemes are two letters or more, so "C:\..." stays a Windows path.
  if (/^[a-z][a-z0-9+.-]+:/i.test(script)) {
    if (!script.startsWith('file:')) throw new ThreadbankError('E_INVALID_ARGUMENT', `Expected a file path or file: URL for the worker script but received ${script}`);
    return fileURLToPath(script);
  }
  // Worker takes relative paths only in the "./x" form; resolve every one against cwd.
  return resolve(script);
}

/** A handle for a worker that could not be started: nothing to post to or stop. */
function failedHandle(error: Error): ScriptWorkerHandle {
  const ready = Promise.reject(error);
  // Whoever awaits `ready` sees the rejection; nobody awaiting it is not a crash.
  ready.catch(() => undefined);
  return { ready, post() {}, terminate: async () => {}, ref() {}, unref() {} };
}

/**
 * Starts `script` in a worker thread. Throws E_INVALID_ARGUMENT for a script that is not a
 * path or file URL; a path that does not exist is reported through `ready`, so a caller
 * that restarts workers handles it where it handles every other failed start.
 */
export function spawnScriptWorker(script: string | URL, options: ScriptWorkerOptions): ScriptWorkerHandle {
  const file = scriptFile(script);
  if (!existsSync(file)) {
    return failedHandle(new ThreadbankError('E_INVALID_ARGUMENT', `Expected a worker script file but ${file} does not exist`));
  }
  const startTimeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  if (!(Number.isFinite(startTimeoutMs) && startTimeoutMs > 0)) {
    throw new ThreadbankError('E_INVALID_ARGUMENT', `Expected a positive number of milliseconds for startTimeoutMs but received ${describe(startTimeoutMs)}`);
  }
  const label = `worker ${options.name} (${file})`;
  // stdout/stderr false: the worker's console output goes straight to the process's, as
  // users expect from console.log in a handler.
  const worker = new Worker(file, {
    name: options.name,
    stdout: false,
    stderr: false,
    ...(options.resourceLimits ? { resourceLimits: options.resourceLimits } : {}),
  });

  /** 'running' until the first way of ending; later events of the same death are ignored. */
  let state: 'running' | 'terminated' | 'ended' = 'running';
  let isReady = false;
  let resolveReady!: (actions: string[]) => void;
  let rejectReady!: (error: Error) => void;
  const ready = new Promise<string[]>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  ready.catch(() => undefined); // reported to whoever awaits it, and through onExit

  const startTimer = setTimeout(() => {
    ended(new ThreadbankError('E_WORKER_CRASHED', `${label} did not call defineWorker() within ${startTimeoutMs} ms: the script did not call defineWorker()`));
    void worker.terminate();
  }, startTimeoutMs);
  // The timer alone must not keep the process up; the worker does, while it is ref'ed.
  startTimer.unref();

  function ended(error: ThreadbankError): void {
    if (state !== 'running') return;
    state = 'ended';
    clearTimeout(startTimer);
    if (!isReady) rejectReady(error);
    options.onExit(error);
  }

  worker.on('message', (raw: unknown) => {
    if (state !== 'running') return;
    const decoded = decodeWorkerMessage(raw);
    if ('problem' in decoded) {
      // A worker's messages are data: one of the wrong shape ends that worker, not the host.
      ended(new ThreadbankError('E_WORKER_CRASHED', `${label} sent a malformed message (${decoded.problem}); the worker was stopped`));
      void worker.terminate();
      return;
    }
    const { message } = decoded;
    if (message.type === 'ready') {
      if (isReady) return;
      isReady = true;
      clearTimeout(startTimer);
      resolveReady(message.actions);
      return;
    }
    options.onMessage(message);
  });
  worker.on('error', (error: unknown) => {
    // Thrown values need not be Errors (`throw 'x'`); keep what was thrown as the cause.
    const message = error instanceof Error ? error.message : describe(error);
    // The template is an ES module; in a package without "type": "module" a .js copy of
    // it fails to parse, and Node's message does not say what to do about it.
    const hint = /Cannot use import statement outside a module/.test(message) ? ' (name the script .mjs, or set "type": "module" in its package.json)' : '';
    const what = isReady ? `${label} crashed: ${message}` : `${label} failed to start: ${message}${hint}`;
    ended(new ThreadbankError('E_WORKER_CRASHED', what, { cause: error }));
  });
  worker.on('exit', (code: number) => {
    let what = `${label} exited with code ${code}`;
    // Code 0 before 'ready': the script ran to its end and left nothing to keep it alive.
    if (!isReady) what += code === 0 ? ' before it was ready: the script did not call defineWorker()' : ' before it called defineWorker()';
    ended(new ThreadbankError('E_WORKER_CRASHED', what));
  });
  worker.on('messageerror', (error: Error) => {
    ended(new ThreadbankError('E_WORKER_CRASHED', `${label} sent a message that could not be deserialized (${error.message}); the worker was stopped`, { cause: error }));
    void worker.terminate();
  });

  return {
    ready,
    post(message: HostMessage, transferList?: TransferableObject[]) {
      // After the worker ended, posting is a no-op in Node; the owner learns of the end
      // through onExit, not from here.
      worker.postMessage(message, transferList as never);
    },
    async terminate() {
      if (state === 'running') {
        state = 'terminated';
        clearTimeout(startTimer);
        if (!isReady) rejectReady(new ThreadbankError('E_SHUTTING_DOWN', `${label} was terminated before it called defineWorker()`));
      }
      await worker.terminate();
    },
    ref: () => worker.ref(),
    unref: () => worker.unref(),
  };
}
