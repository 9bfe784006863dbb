// Tried as a new user would: pack the package, install the tarball into a fresh project
// outside the repository (the addon comes prebuilt: nothing is compiled), and run an ES
// module script and a CommonJS script that use a script bank and a native bank. Then the
// ways an install goes without a native build: no compiler on PATH, install scripts off, a
// prebuilt binary that does not load.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { serve } from '../browser/serve.mjs';

const root = resolve(__dirname, '..', '..');
let project: string;
// One tarball for every install below (packing runs prepack, the builds).
let packDir: string;
let tarball: string;

beforeAll(() => {
  packDir = mkdtempSync(join(tmpdir(), 'threadbank-pack-'));
  run('npm', ['pack', '--pack-destination', packDir, '--silent'], root);
  const name = readdirSync(packDir).find((f) => f.endsWith('.tgz'));
  expect(name).toBeDefined();
  tarball = join(packDir, name!);
}, 600_000);

afterAll(() => {
  if (packDir) rmSync(packDir, { recursive: true, force: true });
});

// The user scripts below end with shutdown() and no process.exit(): Node must exit on its
// own, and the timeout turns a process kept alive by a worker or a handle into a failure.
function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000, env: { ...process.env, npm_config_loglevel: 'error' } });
}

describe('the packed package', () => {
  beforeAll(() => {
    project = mkdtempSync(join(tmpdir(), 'threadbank-user-'));
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user-app', version: '1.0.0', private: true }));
    run('npm', ['install', '--no-audit', '--no-fund', tarball], project);
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

// --- installs that build nothing ----------------------------------------------------------

/** The folder of the binary this machine should load (tests run on glibc Linux). */
const PREBUILD = `${process.platform}-${process.arch}-glibc`;

/** A folder for PATH holding node, npm and sh only: no cmake, no C or C++ compiler. */
function binWithoutCompilers(dir: string): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const npmCli = realpathSync(execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim());
  symlinkSync(process.execPath, join(bin, 'node'));
  symlinkSync(npmCli, join(bin, 'npm'));
  symlinkSync('/bin/sh', join(bin, 'sh')); // npm runs install scripts with `sh -c`
  return bin;
}

type Outcome = { status: number | null; stdout: string; stderr: string };

function spawn(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Outcome {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 120_000, env: { ...env, npm_config_loglevel: 'error' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The lines a run printed that come from threadbank. */
const threadbankLines = (text: string) => text.split('\n').filter((line) => line.startsWith('threadbank:'));

const BACKEND_APP = `import { createWorkerManager, getBackend } from 'threadbank';
const manager = await createWorkerManager({ banks: [{ bankId: 'native', builtin: 'basic' }] });
const sum = await manager.submitRequest('add', { a: 2, b: 3 });
const { backend, path, reason } = await getBackend();
console.log(JSON.stringify({ sum, backend, path, reason }));
await manager.shutdown();
`;

/** A fresh project with the tarball installed by `npm install <flags>`, PATH as given. */
function installProject(flags: string[], env: NodeJS.ProcessEnv): { dir: string; install: Outcome } {
  const dir = mkdtempSync(join(tmpdir(), 'threadbank-user-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'user-app', version: '1.0.0', private: true, type: 'module' }));
  writeFileSync(join(dir, 'app.js'), BACKEND_APP);
  // --foreground-scripts: the install script's output is shown, so what it says is checked.
  const install = spawn('npm', ['install', '--no-audit', '--no-fund', '--foreground-scripts', ...flags, tarball], dir, env);
  return { dir, install };
}

describe('installing the packed package builds nothing', () => {
  const projects: string[] = [];
  afterAll(() => {
    for (const dir of projects) rmSync(dir, { recursive: true, force: true });
  });

  it('ships one copy of each .wasm, the prebuilt addon, LICENSE and CHANGELOG, and no source maps', () => {
    const files = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).trim().split('\n');
    expect(files.filter((f) => f.endsWith('.wasm')).sort()).toEqual(['package/build/wasm-nothreads/threadbank-nothreads.wasm', 'package/build/wasm-threads/threadbank.wasm']);
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    expect(files).toEqual(expect.arrayContaining(['package/LICENSE', 'package/CHANGELOG.md', `package/prebuilds/${PREBUILD}/threadbank.node`]));
    const js = execFileSync('tar', ['xzf', tarball, '-O', '--wildcards', 'package/dist/*.js', 'package/dist/*.mjs'], { encoding: 'utf8', maxBuffer: 64 << 20 });
    expect(js).not.toContain('sourceMappingURL');
  });

  it('uses the prebuilt addon when no compiler is on PATH', () => {
    const scratch = mkdtempSync(join(tmpdir(), 'threadbank-path-'));
    projects.push(scratch);
    const env = { ...process.env, PATH: binWithoutCompilers(scratch) };
    expect(spawn('sh', ['-c', 'command -v cmake g++ c++ cc clang++ || true'], scratch, env).stdout).toBe('');
    const { dir, install } = installProject([], env);
    projects.push(dir);
    expect(install.status, install.stderr).toBe(0);
    expect(threadbankLines(install.stdout + install.stderr)).toEqual([]);
    expect(existsSync(join(dir, 'node_modules', 'threadbank', 'build', 'addon'))).toBe(false);
    const app = spawn('node', ['app.js'], dir, env);
    expect(app.status, app.stderr).toBe(0);
    expect(JSON.parse(app.stdout)).toEqual({ sum: { result: 5 }, backend: 'addon', path: join(realpathSync(dir), 'node_modules', 'threadbank', 'prebuilds', PREBUILD, 'threadbank.node') });
    expect(threadbankLines(app.stderr)).toEqual([]);
  });

  it('uses the prebuilt addon when install scripts are off', () => {
    const { dir, install } = installProject(['--ignore-scripts'], process.env);
    projects.push(dir);
    expect(install.status, install.stderr).toBe(0);
    const app = spawn('node', ['app.js'], dir);
    expect(app.status, app.stderr).toBe(0);
    expect(JSON.parse(app.stdout)).toMatchObject({ sum: { result: 5 }, backend: 'addon' });
  });

  it('falls back to wasm, with one whole message, when the prebuilt binary does not load', () => {
    const scratch = mkdtempSync(join(tmpdir(), 'threadbank-path-'));
    projects.push(scratch);
    const env = { ...process.env, PATH: binWithoutCompilers(scratch) };
    const { dir, install } = installProject([], env);
    projects.push(dir);
    expect(install.status, install.stderr).toBe(0);
    const binary = join(dir, 'node_modules', 'threadbank', 'prebuilds', PREBUILD, 'threadbank.node');
    writeFileSync(binary, 'not an ELF file');

    // The install script, run again as `npm rebuild` would: no compiler, so one message and exit 0.
    const rebuild = spawn('node', [join('node_modules', 'threadbank', 'scripts', 'install.mjs')], dir, env);
    expect(rebuild.status).toBe(0);
    const said = threadbankLines(rebuild.stdout + rebuild.stderr);
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/WebAssembly build .*npm rebuild threadbank/);

    const app = spawn('node', ['app.js'], dir, env);
    expect(app.status, app.stderr).toBe(0);
    const out = JSON.parse(app.stdout);
    expect(out).toMatchObject({ sum: { result: 5 }, backend: 'wasm' });
    const warned = threadbankLines(app.stderr);
    expect(warned).toHaveLength(1);
    // Whole: it names the file that failed and how to build one (it was once cut at "(").
    expect(warned[0]).toContain(`${binary} failed to load`);
    expect(warned[0]).toContain('npm rebuild threadbank');
    expect(warned[0]).toContain(out.reason);
  });
});
