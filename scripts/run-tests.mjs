#!/usr/bin/env node
// Runs every suite in turn and ends with one line over all of them:
//   N passed, N failed[, N skipped]
// A suite that crashes or reports nothing counts as one failure. Suites are a table, so a
// new one (browser, fuzzing) is one entry. Pick suites with `--only name[,name]` or
// THREADBANK_SUITES=name,name.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// Counts ctest's JUnit file per <testcase>, not from the <testsuite> totals: ctest files
// tests it could not start (missing executable, failed fixture, missing required files)
// under `skipped` while its own summary calls them failed. Only the skips a test asked
// for (SKIP_RETURN_CODE, SKIP_REGULAR_EXPRESSION) and DISABLED tests count as skipped.
function countCtestJunit(xml) {
  const counts = { passed: 0, failed: 0, skipped: 0 };
  for (const [, attrs, body = ''] of xml.matchAll(/<testcase\b([^>]*?)(?:\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const status = /\bstatus="([^"]*)"/.exec(attrs)?.[1];
    const skipMessage = /<skipped\s+message="([^"]*)"/.exec(body)?.[1] ?? '';
    if (status === 'run') counts.passed += 1;
    else if (status === 'disabled' || (status === 'notrun' && skipMessage.startsWith('SKIP_'))) counts.skipped += 1;
    else counts.failed += 1;
  }
  return counts;
}

function ctestSuite(name, dir, env = {}) {
  const junit = join(root, dir, 'ctest-junit.xml');
  return {
    name,
    // --timeout: a hung test fails on its own instead of holding CI until its deadline.
    command: ['ctest', '--test-dir', dir, '--output-on-failure', '-j2', '--timeout', '600', '--output-junit', junit],
    env,
    before: () => rmSync(junit, { force: true }),
    count: () => (existsSync(junit) ? countCtestJunit(readFileSync(junit, 'utf8')) : undefined),
  };
}

function vitestSuite(name, args = [], env = {}) {
  const report = join(root, 'build', `vitest-${name}.json`);
  return {
    name,
    command: ['node', join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...args],
    env,
    before: () => rmSync(report, { force: true }),
    count: () => {
      if (!existsSync(report)) return undefined;
      const r = JSON.parse(readFileSync(report, 'utf8'));
      return { passed: r.numPassedTests, failed: r.numFailedTests, skipped: r.numPendingTests + r.numTodoTests };
    },
  };
}

/** A suite that writes its own { passed, failed, skipped } JSON file. */
function reportingSuite(name, command, reportPath) {
  const report = join(root, reportPath);
  return {
    name,
    command,
    env: {},
    before: () => rmSync(report, { force: true }),
    count: () => (existsSync(report) ? JSON.parse(readFileSync(report, 'utf8')) : undefined),
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
  // The feature suites again in headless Chromium: a cross-origin isolated page (pthread
  // build) and a plain one (the build without threads).
  vitestSuite('js-chromium-isolated', ['--config', 'vitest.browser.config.ts'], { THREADBANK_BROWSER_ISOLATED: '1' }),
  vitestSuite('js-chromium-plain', ['--config', 'vitest.browser.config.ts'], { THREADBANK_BROWSER_ISOLATED: '0' }),
  // The shipped declarations under a strict Node project, publint and arethetypeswrong.
  reportingSuite('types', ['node', 'scripts/check-types.mjs'], 'build/types.json'),
  reportingSuite('browser', ['node', 'tests/browser/run.mjs'], 'build/browser.json'),
  // Bounded here (15 s a target); run longer by hand with scripts/fuzz.sh <seconds>.
  reportingSuite('fuzz', ['bash', 'scripts/fuzz.sh', '15'], 'build/fuzz/results.json'),
];

function selectedSuites(argv) {
  const flag = argv.indexOf('--only');
  const list = flag >= 0 ? argv[flag + 1] : process.env.THREADBANK_SUITES;
  if (!list) return SUITES;
  const names = list.split(',').filter(Boolean);
  // A misspelt name must not turn into "0 passed, 0 failed" and a green run.
  const unknown = names.filter((n) => !SUITES.some((s) => s.name === n));
  if (unknown.length > 0 || names.length === 0) {
    console.error(`run-tests: expected suite names from ${SUITES.map((s) => s.name).join(', ')} but received "${list}"`);
    process.exit(2);
  }
  return SUITES.filter((s) => names.includes(s.name));
}

function runSuite(suite) {
  console.log(`\n=== ${suite.name}: ${suite.command.join(' ')}`);
  suite.before();
  const started = Date.now();
  const result = spawnSync(suite.command[0], suite.command.slice(1), {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ...suite.env },
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const exit = result.error ? result.error.message : (result.status ?? result.signal);
  let counts = suite.count();
  if (counts === undefined || counts.passed + counts.failed + counts.skipped === 0) {
    console.log(`=== ${suite.name}: reported no results (exit ${exit}); counted as 1 failure`);
    counts = { passed: 0, failed: 1, skipped: 0 };
  } else if (result.status !== 0 && counts.failed === 0) {
    console.log(`=== ${suite.name}: exited ${exit} with no failed test; counted as 1 failure`);
    counts.failed = 1;
  }
  return { name: suite.name, seconds, ...counts };
}

const rows = selectedSuites(process.argv.slice(2)).map(runSuite);
console.log('\nsuite                  passed  failed  skipped  seconds');
for (const r of rows) {
  console.log(`${r.name.padEnd(22)} ${String(r.passed).padStart(6)}  ${String(r.failed).padStart(6)}  ${String(r.skipped).padStart(7)}  ${r.seconds.padStart(7)}`);
}
const total = rows.reduce((t, r) => ({ passed: t.passed + r.passed, failed: t.failed + r.failed, skipped: t.skipped + r.skipped }), { passed: 0, failed: 0, skipped: 0 });
console.log(`${total.passed} passed, ${total.failed} failed${total.skipped > 0 ? `, ${total.skipped} skipped` : ''}`);
process.exit(total.failed > 0 ? 1 : 0);
