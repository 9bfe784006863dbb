// The backends every feature suite runs over. Each suite is written once and takes a
// backend, so the browser build (wasm) joins by adding an entry here.
import { createWorkerManager } from '../../dist/cjs/index.js';
import { createTestManager } from '../../dist/cjs/testing.js';

export interface Backend {
  name: string;
  createWorkerManager: typeof createWorkerManager;
  createTestManager: typeof createTestManager;
}

export const backends: Backend[] = [{ name: 'node-addon', createWorkerManager, createTestManager }];
