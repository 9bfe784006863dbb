// environment(): which build a manager uses here and why. Platform-neutral: in Chromium the
// package import resolves to the browser build (vitest.browser.config.ts).
import { describe, expect, it } from 'vitest';

import { createWorkerManager, environment } from '../../dist/cjs/index.js';

const inBrowser = typeof (globalThis as { window?: unknown }).window !== 'undefined';

describe('environment()', () => {
  it('names the backend a manager gets here, with a reason and the parallelism', async () => {
    const report = environment();
    expect(['addon', 'wasm-threads', 'wasm-nothreads']).toContain(report.backend);
    expect(report.reason.length).toBeGreaterThan(0);
    expect(report.parallelism).toBeGreaterThanOrEqual(1);
    // The backend it names is the one that runs: native actions need threads unless it is nothreads.
    const manager = await createWorkerManager({ banks: [{ bankId: 'n', builtin: 'basic' }] });
    try {
      await expect(manager.submitRequest('add', { a: 1, b: 2 })).resolves.toEqual({ result: 3 });
    } finally {
      await manager.shutdown();
    }
  });

  it.runIf(!inBrowser)('in Node: the addon loaded, the Node version, platform and libc', () => {
    const report = environment();
    expect(report).toMatchObject({ runtime: 'node', backend: 'addon', addon: { loaded: true }, wasmThreads: true, nodeVersion: process.version, platform: process.platform, arch: process.arch });
    if (process.platform === 'linux') expect(report.libc).toMatch(/^(glibc \d+\.\d+|musl)$/);
  });

  it.runIf(inBrowser)('in a page: cross-origin isolation decides the build', () => {
    const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
    const report = environment();
    expect(report).toMatchObject({ runtime: 'browser', crossOriginIsolated: isolated, wasmThreads: isolated, backend: isolated ? 'wasm-threads' : 'wasm-nothreads', addon: { loaded: false } });
    expect(report.parallelism).toBe(navigator.hardwareConcurrency);
  });
});
