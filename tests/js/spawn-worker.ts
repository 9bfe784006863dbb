// Starts a script worker through the Node script host and records what it reports, for the
// suites that run worker scripts on real worker_threads.
import type { ResultMessage, TaskMessage, WorkerMessage } from '../../dist/cjs/protocol.js';
import { spawnScriptWorker } from '../../dist/cjs/node/script-host.js';
import type { ScriptWorkerHandle, ScriptWorkerOptions } from '../../dist/cjs/node/script-host.js';

export interface Spawned {
  handle: ScriptWorkerHandle;
  messages: WorkerMessage[];
  exits: Error[];
  /** Resolves with the first onExit error. */
  exited: Promise<Error>;
  /** Resolves with the next result for request `id`. */
  result(id: number): Promise<ResultMessage>;
  /** Sends one task and resolves with its result. */
  run(id: number, action: string, params?: unknown): Promise<ResultMessage>;
  /** Sends several tasks in one 'run' message. */
  post(...tasks: TaskMessage[]): void;
}

/** Every handle started, for afterEach to terminate. */
export const started: ScriptWorkerHandle[] = [];

export function spawn(script: string | URL, extra: Partial<ScriptWorkerOptions> = {}): Spawned {
  const messages: WorkerMessage[] = [];
  const exits: Error[] = [];
  const waiting = new Map<number, (result: ResultMessage) => void>();
  let onFirstExit!: (error: Error) => void;
  const exited = new Promise<Error>((resolve) => (onFirstExit = resolve));
  const handle = spawnScriptWorker(script, {
    name: 'test#0',
    onMessage(message) {
      messages.push(message);
      if (message.type === 'done') for (const r of message.results) waiting.get(r.id)?.(r);
    },
    onExit(error) {
      exits.push(error);
      onFirstExit(error);
    },
    ...extra,
  });
  started.push(handle);
  const result = (id: number) => new Promise<ResultMessage>((resolve) => waiting.set(id, resolve));
  const post = (...tasks: TaskMessage[]) => handle.post({ type: 'run', tasks });
  return {
    handle,
    messages,
    exits,
    exited,
    result,
    post,
    run(id, action, params = {}) {
      const promise = result(id);
      post({ id, attempt: 1, action, params });
      return promise;
    },
  };
}

/** Gives late events (a second 'exit' after 'error', say) time to arrive. */
export const quiet = (ms = 100) => new Promise((resolve) => setTimeout(resolve, ms));
