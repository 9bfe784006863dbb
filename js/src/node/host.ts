/** Script workers on Node's worker_threads: the manager's ScriptHost over spawnScriptWorker. */
import { invalidArgument } from '../errors.js';
import type { ScriptHost, ScriptWorkerHandle, SpawnOptions } from '../script-host.js';
import type { WorkerScript } from '../types.js';
import { spawnScriptWorker } from './script-host.js';

export const nodeScriptHost: ScriptHost = (script: WorkerScript, options: SpawnOptions): ScriptWorkerHandle => {
  if (typeof script === 'function') {
    const error = invalidArgument('script', 'a path or file URL in Node (a Worker factory is for browsers)', script);
    return { ready: Promise.reject(error), post() {}, async terminate() {} };
  }
  try {
    return spawnScriptWorker(script, options);
  } catch (error) {
    return { ready: Promise.reject(error), post() {}, async terminate() {} };
  }
};
