/** Script workers on Node's worker_threads. */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

import { invalidArgument, ThreadbankError } from '../errors.js';
import type { HostMessage, WorkerMessage } from '../protocol.js';
import type { ScriptHost, ScriptWorkerHandle, SpawnOptions } from '../script-host.js';
import type { WorkerScript } from '../types.js';

/** A path, a file: URL, or a string holding one, as a file path. */
function scriptPath(script: WorkerScript): string {
  if (typeof script === 'function') {
    throw invalidArgument('script', 'a path or file URL in Node (a Worker factory is for browsers)', script);
  }
  if (script instanceof URL) return fileURLToPath(script);
  return script.startsWith('file:') ? fileURLToPath(script) : script;
}

export const nodeScriptHost: ScriptHost = (script: WorkerScript, options: SpawnOptions): ScriptWorkerHandle => {
  const file = scriptPath(script);
  if (!existsSync(file)) {
    const error = new ThreadbankError('E_INVALID_ARGUMENT', `Expected a worker script file but ${file} does not exist`);
    return { ready: Promise.reject(error), post() {}, async terminate() {} };
  }
  const worker = new Worker(file, { name: options.name });
  let exited = false;
  let terminating = false;
  let settleReady: ((error?: Error, actions?: string[]) => void) | undefined;
  const ready = new Promise<string[]>((resolve, reject) => {
    const timer = setTimeout(() => {
      settleReady?.(new ThreadbankError('E_WORKER_CRASHED', `Worker script ${file} did not call defineWorker() within ${options.startTimeoutMs} ms`));
      void worker.terminate();
    }, options.startTimeoutMs);
    timer.unref();
    settleReady = (error, actions) => {
      settleReady = undefined;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(actions ?? []);
    };
  });
  ready.catch(() => undefined); // a failed start is reported through `ready` to whoever awaits it

  // Called at most once, for any way the worker can die that we did not ask for.
  const died = (error: Error) => {
    if (exited) return;
    exited = true;
    if (terminating) return;
    if (settleReady) {
      settleReady(new ThreadbankError('E_WORKER_CRASHED', `Worker script ${file} failed to start: ${error.message}`, { cause: error }));
      return;
    }
    options.onExit(error);
  };
  worker.on('message', (message: WorkerMessage) => {
    if (message.type === 'ready') settleReady?.(undefined, message.actions);
    else options.onMessage(message);
  });
  worker.on('error', (error) => died(error));
  worker.on('messageerror', (error) => died(error));
  worker.on('exit', (code) => died(new Error(`worker exited with code ${code}`)));

  return {
    ready,
    post(message: HostMessage, transfer?: Transferable[]) {
      worker.postMessage(message, transfer as never);
    },
    async terminate() {
      terminating = true;
      settleReady?.(new ThreadbankError('E_SHUTTING_DOWN', 'the worker was terminated before it was ready'));
      await worker.terminate();
    },
    ref: () => worker.ref(),
    unref: () => worker.unref(),
  };
};
