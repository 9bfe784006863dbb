// The CommonJS entries, as a CommonJS TypeScript file requires them.
import threadbank = require('threadbank');
import testing = require('threadbank/testing');
import wasm = require('threadbank/wasm');
import worker = require('threadbank/worker');

export async function run(): Promise<void> {
  const manager: threadbank.WorkerManager = await threadbank.createWorkerManager();
  const test = await testing.createTestManager({ banks: [{ bankId: 'm', handlers: { add: ({ a, b }: { a: number; b: number }) => a + b } }] });
  const onWasm = await wasm.createWorkerManager({ noThreads: true });
  worker.defineWorker({ echo: (params: unknown) => params });
  await Promise.all([manager.shutdown(), test.shutdown(), onWasm.shutdown()]);
}
