// The backends list when the feature suites run in Chromium (vitest.browser.config.ts
// aliases ./backends.js here). One backend: the page's own build, chosen as users get it,
// the pthread build on a cross-origin isolated page and the build without threads on a
// plain one.
import { canUseThreads, createWorkerManager } from '../../dist/browser/browser.js';
import type { WorkerManager } from '../../dist/cjs/index.js';
import type { Backend } from './backend.js';

export type { Backend };

const threads = canUseThreads();

export const backends: Backend[] = [
  {
    name: threads ? 'chromium-isolated' : 'chromium-plain',
    platform: 'browser',
    nativeThreads: threads,
    createWorkerManager: (options) => createWorkerManager(options) as unknown as Promise<WorkerManager>,
    // Module workers cannot resolve bare specifiers, so the browser fixtures import the
    // built worker module by path; their handlers are the same modules Node's use.
    fixture: (name) => new URL(`./fixtures/browser/${name}.js`, import.meta.url),
  },
];
