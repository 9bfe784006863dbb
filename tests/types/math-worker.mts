// A worker script as a user writes it; its handlers type the client in bank-client.mts.
import { defineWorker, transfer } from 'threadbank/worker';

export const handlers = defineWorker({
  add: ({ a, b }: { a: number; b: number }) => ({ sum: a + b }),
  greet: async ({ name }: { name: string }) => `hello ${name}`,
  ping: () => 'pong' as const,
  // transfer() takes an ArrayBuffer list without lib.dom's Transferable.
  bytes: ({ size }: { size: number }) => {
    const buffer = new ArrayBuffer(size);
    return transfer({ buffer }, [buffer]);
  },
});
