// The ES module entries: named exports only, as Node gives them.
import { createWorkerManager, environment, isThreadbankError, ThreadbankError, WorkerManager, type Environment } from 'threadbank';
import { createTestManager } from 'threadbank/testing';
import { createWorkerManager as createOnWasm } from 'threadbank/wasm';
// @ts-expect-error: there is no default export (Node's ES module view has none)
import threadbank from 'threadbank';

export async function run(): Promise<void> {
  const manager: WorkerManager = await createWorkerManager({ banks: [{ bankId: 'n', builtin: 'basic' }] });
  const error: unknown = await manager.submitRequest('nope').catch((e: unknown) => e);
  if (isThreadbankError(error)) {
    const code: string = error.code;
    void code;
  }
  const report: Environment = environment();
  const backend: 'addon' | 'wasm-threads' | 'wasm-nothreads' = report.backend;
  void backend;
  void [ThreadbankError, createTestManager, createOnWasm, threadbank];
  // A browser bank's factory: any Worker-like object, no DOM types needed to name it.
  void { bankId: 'w', script: () => ({ postMessage() {}, terminate() {}, addEventListener() {} }) };
}
