// bin/threadbank.mjs, run as a user runs it: a separate process in a scratch directory.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const root = resolve(__dirname, '..', '..');
const cli = join(root, 'bin', 'threadbank.mjs');
const template = readFileSync(join(root, 'worker-scripts', 'template.js'), 'utf8');
const typescriptTemplate = readFileSync(join(root, 'worker-scripts', 'template.ts'), 'utf8');

let cwd: string;
beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'threadbank-cli-'));
});
afterEach(() => {
  rmSync(cwd, { recursive: true, force: true });
});

function threadbank(...args: string[]) {
  return threadbankWith({}, ...args);
}

function threadbankWith(env: Record<string, string>, ...args: string[]) {
  const result = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('threadbank new-worker', () => {
  it('writes <name>.js from the template and shows how to register it', () => {
    const out = threadbank('new-worker', 'resize');
    expect(out.code).toBe(0);
    expect(readFileSync(join(cwd, 'resize.js'), 'utf8')).toBe(template);
    expect(out.stdout).toContain("bankId: 'resize', script: new URL('./resize.js', import.meta.url)");
  });

  it('writes into --dir, creating it, in both --dir forms', () => {
    expect(threadbank('new-worker', 'a', '--dir', 'workers/img').code).toBe(0);
    expect(threadbank('new-worker', 'b', '--dir=workers').code).toBe(0);
    expect(existsSync(join(cwd, 'workers', 'img', 'a.js'))).toBe(true);
    expect(existsSync(join(cwd, 'workers', 'b.js'))).toBe(true);
  });

  it('keeps an existing file unless --force is given', () => {
    writeFileSync(join(cwd, 'mine.js'), 'mine');
    const refused = threadbank('new-worker', 'mine');
    expect(refused.code).toBe(1);
    expect(readFileSync(join(cwd, 'mine.js'), 'utf8')).toBe('mine');
    expect(threadbank('new-worker', 'mine', '--force').code).toBe(0);
    expect(readFileSync(join(cwd, 'mine.js'), 'utf8')).toBe(template);
  });

  it('notes when Node would load the file as CommonJS, and not when it would not', () => {
    expect(threadbank('new-worker', 'one').stdout).toContain('"type": "module"');
    writeFileSync(join(cwd, 'package.json'), JSON.stringify({ type: 'module' }));
    expect(threadbank('new-worker', 'two').stdout).not.toContain('note:');
  });

  it.each([
    ['no name', []],
    ['a name with a space', ['bad name']],
    ['a name with a slash', ['../escape']],
    ['two names', ['a', 'b']],
    ['an unknown option', ['a', '--bogus']],
    ['--dir without a value', ['a', '--dir']],
  ])('exits 1 and writes nothing for %s', (_label, args) => {
    const out = threadbank('new-worker', ...args);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('Usage:');
    expect(readdirSync(cwd)).toEqual([]);
  });
});

describe('threadbank new-worker --typescript', () => {
  it('writes <name>.ts from the typed template and shows a typed client', () => {
    const out = threadbank('new-worker', 'resize-img', '--typescript');
    expect(out.code).toBe(0);
    expect(readFileSync(join(cwd, 'resize-img.ts'), 'utf8')).toBe(typescriptTemplate);
    expect(existsSync(join(cwd, 'resize-img.js'))).toBe(false);
    expect(out.stdout).toContain("import type { handlers } from './resize-img.js';");
    expect(out.stdout).toContain("const resizeImg = manager.bank<typeof handlers>('resize-img');");
  });

  it('takes its options in any order, and keeps an existing .ts unless --force', () => {
    expect(threadbank('new-worker', '--typescript', '--dir', 'src/workers', 'thumb').code).toBe(0);
    expect(readFileSync(join(cwd, 'src', 'workers', 'thumb.ts'), 'utf8')).toBe(typescriptTemplate);
    expect(threadbank('new-worker', 'thumb', '--dir=src/workers', '--typescript').code).toBe(1);
    expect(threadbank('new-worker', 'thumb', '--dir=src/workers', '--typescript', '--force').code).toBe(0);
  });
});

describe('threadbank env', () => {
  it('reports the backend and why, threads, Node, platform and libc', () => {
    const out = threadbank('env');
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^backend +addon$/m);
    expect(out.stdout).toMatch(/^why +the native addon loaded$/m);
    expect(out.stdout).toContain(process.version);
  });

  it('prints the report as JSON with --json', () => {
    const report = JSON.parse(threadbank('env', '--json').stdout);
    expect(report).toMatchObject({ runtime: 'node', backend: 'addon', addon: { loaded: true }, nodeVersion: process.version, platform: process.platform, arch: process.arch });
    expect(report.parallelism).toBeGreaterThanOrEqual(1);
  });

  it('says why when the addon does not load, and which build is used instead', () => {
    const report = JSON.parse(threadbankWith({ THREADBANK_ADDON: join(cwd, 'missing.node') }, 'env', '--json').stdout);
    expect(report).toMatchObject({ backend: 'wasm-threads', addon: { loaded: false } });
    expect(report.addon.error).toContain('missing.node');
  });

  it.each([
    ['an unknown option', ['--bogus']],
    ['an argument', ['extra']],
  ])('exits 1 for %s', (_label, args) => {
    const out = threadbank('env', ...args);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('Usage:');
  });
});

describe('threadbank', () => {
  it('prints help with exit 0 for --help, and exits 1 with no command or an unknown one', () => {
    const help = threadbank('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('threadbank new-worker <name>');
    expect(help.stdout).toContain('threadbank env');
    expect(threadbank().code).toBe(1);
    expect(threadbank('frobnicate').code).toBe(1);
  });

  it('prints the package version', () => {
    const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version as string;
    expect(threadbank('--version').stdout.trim()).toBe(version);
  });
});
