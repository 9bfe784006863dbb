// Tried as a new user would: pack the package, install the tarball into a fresh project
// outside the repository (the install builds the addon with the local toolchain), and run
// an ES module script and a CommonJS script that use a script bank and a native bank.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(__dirname, '..', '..');
let project: string;

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_loglevel: 'error' } });
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
});
