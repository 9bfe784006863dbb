// manager.bank<typeof handlers>(): task names, params and results checked by tsc --strict.
import { createWorkerManager, type BankClient, type RequestQuery, type WorkerManager } from 'threadbank';

import type { handlers } from './math-worker.mjs';

declare const manager: WorkerManager;
const math: BankClient<typeof handlers> = manager.bank<typeof handlers>('math');

export async function checked(): Promise<void> {
  const added = await math.submit('add', { a: 1, b: 2 });
  const sum: number = added.sum;
  const greeting: string = await math.submit('greet', { name: 'x' }, { priority: 8, timeout: 1_000 });
  // A handler without params: they may be left out.
  const pong: 'pong' = await math.submit('ping');
  const bytes: ArrayBuffer = (await math.submit('bytes', { size: 8 })).buffer;
  void [sum, greeting, pong, bytes];

  // @ts-expect-error: no such action
  await math.submit('subtract', { a: 1, b: 2 });
  // @ts-expect-error: wrong params (b is a number)
  await math.submit('add', { a: 1, b: '2' });
  // @ts-expect-error: missing params
  await math.submit('add');
  // @ts-expect-error: a result used as what it is not (sum is a number)
  const wrong: string = (await math.submit('add', { a: 1, b: 2 })).sum;
  // @ts-expect-error: the client is bound to its bank
  await math.submit('add', { a: 1, b: 2 }, { bankId: 'other' });
  void wrong;
}

export async function untyped(): Promise<void> {
  // submitRequest stays open to any task; its T is the caller's unchecked statement.
  const value: unknown = await manager.submitRequest('anything', { x: 1 });
  const stated = await manager.submitRequest<{ result: number }>('add', { a: 1, b: 2 });
  const n: number = stated.result;
  void [value, n];
}

export function queries(): void {
  const query: RequestQuery = { status: ['failed'], pagination: { limit: 20, sortBy: 'priority', sortOrder: 'desc' } };
  manager.queryRequests(query);
  // @ts-expect-error: queryRequests takes a RequestQuery, not anything
  manager.queryRequests({ statuss: ['failed'] });
  // @ts-expect-error: not a status
  manager.queryRequests({ status: ['done'] });
}

export async function conventions(): Promise<void> {
  // await using: Symbol.asyncDispose calls shutdown().
  await using scoped = await createWorkerManager({ banks: [{ bankId: 'n', builtin: 'basic' }], keepResults: true });
  let id = 0;
  await scoped.submitRequest('add', { a: 1, b: 2 }, { onAccepted: (requestId) => (id = requestId), transferList: [new ArrayBuffer(1)] });
  const result = scoped.getResult<{ result: number }>(id);
  if (result?.status === 'completed') {
    const n: number = result.value.result;
    void n;
  } else if (result !== undefined) {
    const code: string = result.error.code;
    void code;
  }
  const event = await scoped.once('request-completed');
  const at: number = event.timestamp;
  void at;
  // @ts-expect-error: not an event name
  scoped.on('drain', () => {});
}
