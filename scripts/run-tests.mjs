#!/usr/bin/env node
// Runs every suite in turn and ends with one line over all of them:
//   N passed, N failed[, N skipped]
// A suite that crashes or reports nothing counts as one failure. Suites are a table, so a
// new one (browser, fuzzing) is one entry. Filter with THREADBANK_SUITES=name,name.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function ctestSuite(name, dir, env = {}) {
  const junit = join(root, dir, 'ctest-junit.xml');
  return {
    name,
    command: ['ctest', '--test-dir', dir, '--output-on-failure', '-j2', '--output-junit', junit],
    env,
    before: () => rmSync(junit, { force: true }),
    count: () => {
      if (!existsSync(junit)) return undefined;
      const xml = readFileSync(junit, 'utf8');
      const suite = /<testsuite\b([^>]*)>/.exec(xml);
      if (!suite) return undefined;
      const attr = (key) => Number(new RegExp(`\\b${key}="(\\d+)"`).exec(suite[1])?.[1] ?? 0);
      const failed = attr('failures') + attr('errors');
      const skipped = attr('skipped') + attr('disabled');
      return { passed: attr('tests') - failed - skipped, failed, skipped };
    },
  };
}

function vitestSuite(name, args = []) {
  const report = join(root, 'build', `${name}.json`);
  return {
    name,
    command: ['node', join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...args],
    env: {},
    before: () => rmSync(report, { force: true }),
    count: () => {
      if (!existsSync(report)) return undefined;
      const r = JSON.parse(readFileSync(report, 'utf8'));
      return { passed: r.numPassedTests, failed: r.numFailedTests, skipped: r.numPendingTests + r.numTodoTests };
    },
  };
}

const SUITES = [
  ctestSuite('core', 'build/release'),
  ctestSuite('core-asan', 'build/asan', {
    THREADBANK_SANITIZER: 'address',
    ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=1',
    UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1',
  }),
  ctestSuite('core-tsan', 'build/tsan', {
    THREADBANK_SANITIZER: 'thread',
    TSAN_OPTIONS: 'halt_on_error=1:second_deadlock_stack=1',
  }),
  vitestSuite('js'),
  vitestSuite('package', ['--config', 'vitest.package.config.ts']),
];

const only = process.env.THREADBANK_SUITES?.split(',').filter(Boolean);
const rows = [];
for (const suite of SUITES) {
  if (only && !only.includes(suite.name)) continue;
  console.log(`\n=== ${suite.name}: ${suite.command.join(' ')}`);
  suite.before();
  const started = Date.now();
  const result = spawnSync(suite.command[0], suite.command.slice(1), {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ...suite.env },
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  let counts = suite.count();
  if (counts === undefined) {
    console.log(`=== ${suite.name}: reported no results (exit ${result.status ?? result.signal}); counted as 1 failure`);
    counts = { passed: 0, failed: 1, skipped: 0 };
  } else if (result.status !== 0 && counts.failed === 0) {
    console.log(`=== ${suite.name}: exited ${result.status ?? result.signal} with no failed test; counted as 1 failure`);
    counts.failed = 1;
  }
  rows.push({ name: suite.name, seconds, ...counts });
}

console.log('\nsuite          passed  failed  skipped  seconds');
for (const r of rows) {
  console.log(`${r.name.padEnd(14)} ${String(r.passed).padStart(6)}  ${String(r.failed).padStart(6)}  ${String(r.skipped).padStart(7)}  ${r.seconds.padStart(7)}`);
}
const total = rows.reduce((t, r) => ({ passed: t.passed + r.passed, failed: t.failed + r.failed, skipped: t.skipped + r.skipped }), { passed: 0, failed: 0, skipped: 0 });
console.log(`${total.passed} passed, ${total.failed} failed${total.skipped > 0 ? `, ${total.skipped} skipped` : ''}`);
process.exit(total.failed > 0 ? 1 : 0);
