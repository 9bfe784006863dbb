// Tried as a new user would: pack the package, install the tarball into a fresh project
// outside the repository (the install builds the addon with the local toolchain), and run
// an ES module script and a CommonJS script that use a script bank and a native bank.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { serve } from '../browser/serve.mjs';

const root = resolve(__dirname, '..', '..');
let project: string;

// The user scripts below end with shutdown() and no process.exit(): Node must exit on its
// own, and the timeout turns a process kept alive by a worker or a handle into a failure.
function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000, env: { ...process.env, npm_config_loglevel: 'error' } });
}

describe('the packed package', () => {
  beforeAll(() => {
    project = mkdtempSync(join(tmpdir(), 'threadbank-user-'));
    run('npm', ['pack', '--pack-destination', project, '--silent'], root);
    const tarball = readdirSync(project).find((f) => f.endsWith('.tgz'));
    expect(tarball).toBeDefined();
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user-app', version: '1.0.0', private: true }));
    run('npm', ['install', '--no-audit', '--no-fund', join(project, tarball!)], project);
    writeFileSync(
      join(project, 'worker.mjs'),
      `import { defineWorker } from 'threadbank/worker';\ndefineWorker({ greet: ({ name }) => 'hello ' + name });\n`,
    );
  }, 240_000);

  afterAll(() => {
    if (project) rmSync(project, { recursive: true, force: true });
  });

  it('works from an ES module', () => {
    writeFileSync(
      join(project, 'app.mjs'),
      `import { createWorkerManager, ThreadbankError } from 'threadbank';
const manager = await createWorkerManager({ banks: [
  { bankId: 'script', script: new URL('./worker.mjs', import.meta.url) },
  { bankId: 'native', builtin: 'basic' },
] });
const greeting = await manager.submitRequest('greet', { name: 'esm' });
const sum = await manager.submitRequest('add', { a: 4, b: 6 });
const error = await manager.submitRequest('nope').catch((e) => e);
console.log(JSON.stringify({ greeting, sum, code: error.code, isError: error instanceof ThreadbankError }));
await manager.shutdown();
`,
    );
    const out = JSON.parse(run('node', ['app.mjs'], project));
    expect(out).toEqual({ greeting: 'hello esm', sum: { result: 10 }, code: 'E_UNKNOWN_TASK', isError: true });
  });

  // Node without require(esm) (before 20.19 and 22.12, or with the flag below) takes the
  // "import" entries (dist/esm/compat) instead of the "module-sync" ones.
  it('works where Node cannot require ES modules', () => {
    writeFileSync(
      join(project, 'app-compat.mjs'),
      `import { createRequire } from 'node:module';
import { createWorkerManager, ThreadbankError } from 'threadbank';
const manager = await createWorkerManager({ banks: [{ bankId: 'script', script: new URL('./worker.mjs', import.meta.url), workerCount: 2 }] });
const greetings = await Promise.all([1, 2, 3, 4].map((n) => manager.submitRequest('greet', { name: 'compat ' + n })));
const sameClass = createRequire(import.meta.url)('threadbank').ThreadbankError === ThreadbankError;
console.log(JSON.stringify({ greetings, sameClass }));
await manager.shutdown();
`,
    );
    const out = JSON.parse(run('node', ['--no-experimental-require-module', 'app-compat.mjs'], project));
    expect(out).toEqual({ greetings: ['hello compat 1', 'hello compat 2', 'hello compat 3', 'hello compat 4'], sameClass: true });
  });

  it('works from CommonJS, sharing one module state with ESM', () => {
    writeFileSync(
      join(project, 'app.cjs'),
      `const { createWorkerManager, ThreadbankError } = require('threadbank');
const path = require('node:path');
(async () => {
  const esm = await import('threadbank');
  const manager = await createWorkerManager({ banks: [
    { bankId: 'script', script: path.join(__dirname, 'worker.mjs') },
    { bankId: 'native', builtin: 'basic' },
  ] });
  const greeting = await manager.submitRequest('greet', { name: 'cjs' });
  const sum = await manager.submitRequest('add', { a: 1, b: 2 });
  console.log(JSON.stringify({ greeting, sum, sameClass: esm.ThreadbankError === ThreadbankError }));
  await manager.shutdown();
})();
`,
    );
    const out = JSON.parse(run('node', ['app.cjs'], project));
    expect(out).toEqual({ greeting: 'hello cjs', sum: { result: 3 }, sameClass: true });
  });

  it('writes a new worker script from the template with the CLI', () => {
    run('npx', ['threadbank', 'new-worker', 'resize'], project);
    writeFileSync(
      join(project, 'template.mjs'),
      `import { createWorkerManager } from 'threadbank';
const manager = await createWorkerManager({ banks: [{ bankId: 'resize', script: new URL('./resize.js', import.meta.url) }] });
console.log(JSON.stringify(await manager.submitRequest('echo', { ok: true })));
await manager.shutdown();
`,
    );
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user-app', version: '1.0.0', private: true, type: 'module' }));
    expect(JSON.parse(run('node', ['template.mjs'], project))).toEqual({ ok: true });
  });

  it('reports the environment with the CLI, on the addon the install built', () => {
    const report = JSON.parse(run('npx', ['threadbank', 'env', '--json'], project));
    expect(report).toMatchObject({ runtime: 'node', backend: 'addon', addon: { loaded: true } });
  });

  it('bundles with Vite and runs in Chromium, native and script banks', async () => {
    const app = join(project, 'vite-app');
    mkdirSync(app, { recursive: true });
    writeFileSync(join(app, 'index.html'), '<!doctype html><script type="module" src="./main.js"></script>\n');
    writeFileSync(join(app, 'worker.js'), `import { defineWorker } from 'threadbank/worker';\ndefineWorker({ shout: ({ text }) => text.toUpperCase() });\n`);
    writeFileSync(
      join(app, 'main.js'),
      `import { createWorkerManager } from 'threadbank';
const manager = await createWorkerManager({ banks: [
  { bankId: 'native', builtin: 'basic' },
  // The factory form: Vite follows new Worker(new URL(...), { type: 'module' }) and bundles the worker's imports.
  { bankId: 'words', script: () => new Worker(new URL('./worker.js', import.meta.url), { type: 'module' }) },
] });
const sum = await manager.submitRequest('add', { a: 20, b: 22 });
const loud = await manager.submitRequest('shout', { text: 'bundled' });
window.__result = { sum, loud, isolated: crossOriginIsolated };
`,
    );
    // Vite comes from this repository's dev dependencies; the app resolves threadbank from
    // the installed tarball in the project's node_modules.
    run('node', [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'error', '--outDir', join(app, 'dist')], app);
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    try {
      for (const isolated of [true, false]) {
        const server = await serve(join(app, 'dist'), { isolated });
        try {
          const page = await browser.newPage();
          const errors: string[] = [];
          page.on('pageerror', (e) => errors.push(e.message));
          await page.goto(`http://127.0.0.1:${(server.address() as { port: number }).port}/index.html`);
          await page.waitForFunction(() => (window as { __result?: unknown }).__result !== undefined, null, { timeout: 30_000 }).catch(() => {
            throw new Error(`the bundled app did not finish: ${errors.join('; ')}`);
          });
          expect(await page.evaluate(() => (window as { __result?: unknown }).__result)).toEqual({ sum: { result: 42 }, loud: 'BUNDLED', isolated });
          await page.close();
        } finally {
          server.close();
        }
      }
    } finally {
      await browser.close();
    }
  });
});
