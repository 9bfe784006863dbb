/** Script workers as Web Workers. */
import { invalidArgument, ThreadbankError } from '../errors.js';
import { decodeWorkerMessage, type HostMessage } from '../protocol.js';
import type { ScriptHost, ScriptWorkerHandle, SpawnOptions } from '../script-host.js';
import type { WorkerScript } from '../types.js';

function startWorker(script: WorkerScript, name: string): Worker {
  // A factory is what bundlers follow: () => new Worker(new URL('./w.js', import.meta.url), { type: 'module' }).
  // Typed as WebWorkerLike so Node projects need no DOM types; in a page it is a Worker.
  if (typeof script === 'function') return script() as Worker;
  if (typeof script === 'string' || script instanceof URL) return new Worker(script, { type: 'module', name });
  throw invalidArgument('script', 'a URL or a function returning a Worker', script);
}

/**
 * A module worker whose script cannot be fetched reports only a bare 'error' event. Asks
 * the server once, so a wrong path reads as one (E_INVALID_ARGUMENT, as a missing file does
 * in Node) instead of as a crash.
 */
async function missingScript(url: string): Promise<ThreadbankError | undefined> {
  try {
    const response = await fetch(url, { method: 'HEAD' });
    if (response.ok) return undefined;
    return new ThreadbankError('E_INVALID_ARGUMENT', `Expected a worker script at ${url} but the server answered ${`${response.status} ${response.statusText}`.trim()}`);
  } catch {
    return undefined;
  }
}

export const browserScriptHost: ScriptHost = (script: WorkerScript, options: SpawnOptions): ScriptWorkerHandle => {
  let worker: Worker;
  try {
    worker = startWorker(script, options.name);
  } catch (error) {
    return { ready: Promise.reject(error), post() {}, async terminate() {} };
  }
  let dead = false;
  let settleReady: ((error?: Error, actions?: string[]) => void) | undefined;
  const ready = new Promise<string[]>((resolve, reject) => {
    const timer = setTimeout(() => {
      settleReady?.(new ThreadbankError('E_WORKER_CRASHED', `Worker script did not call defineWorker() within ${options.startTimeoutMs} ms`));
      worker.terminate();
    }, options.startTimeoutMs);
    settleReady = (error, actions) => {
      settleReady = undefined;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(actions ?? []);
    };
  });
  ready.catch(() => undefined);

  // Browsers report an uncaught error (including one at load) as an 'error' event; a worker
  // that closes itself reports nothing, which is why script actions should have timeouts.
  const died = (error: Error, startError?: ThreadbankError) => {
    if (dead) return;
    dead = true;
    worker.terminate();
    if (settleReady) settleReady(startError ?? new ThreadbankError('E_WORKER_CRASHED', `Worker script failed to start: ${error.message}`, { cause: error }));
    else options.onExit(error);
  };
  const scriptUrl = typeof script === 'function' ? undefined : String(script);
  worker.addEventListener('message', (event: MessageEvent<unknown>) => {
    if (dead) return;
    const decoded = decodeWorkerMessage(event.data);
    if ('problem' in decoded) {
      // A worker's messages are data: one of the wrong shape ends that worker, not the page.
      died(new Error(`the worker sent a malformed message (${decoded.problem}); it was stopped`));
      return;
    }
    const { message } = decoded;
    if (message.type === 'ready') settleReady?.(undefined, message.actions);
    else options.onMessage(message);
  });
  worker.addEventListener('error', (event: ErrorEvent) => {
    event.preventDefault();
    const error = new Error(event.message || 'the worker script failed to load');
    if (settleReady && !event.message && scriptUrl !== undefined) {
      void missingScript(scriptUrl).then((missing) => died(error, missing));
    } else {
      died(error);
    }
  });
  worker.addEventListener('messageerror', () => died(new Error('a message from the worker could not be read')));

  return {
    ready,
    post(message: HostMessage, transfer?: Transferable[]) {
      worker.postMessage(message, transfer ?? []);
    },
    async terminate() {
      dead = true;
      settleReady?.(new ThreadbankError('E_SHUTTING_DOWN', 'the worker was terminated before it was ready'));
      worker.terminate();
    },
  };
};
