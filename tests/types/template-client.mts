// The TypeScript worker template types its client (worker-scripts/template.ts).
import type { WorkerManager } from 'threadbank';

import type { handlers } from '../../worker-scripts/template.js';

declare const manager: WorkerManager;

export async function fromTemplate(): Promise<void> {
  const worker = manager.bank<typeof handlers>('mine');
  const { total } = await worker.submit('countTo', { n: 10 });
  const n: number = total;
  const { bytes } = await worker.submit('zeros', { length: 4 });
  const view: Uint8Array = bytes;
  // @ts-expect-error: countTo takes { n: number }
  await worker.submit('countTo', { count: 10 });
  void [n, view];
}
