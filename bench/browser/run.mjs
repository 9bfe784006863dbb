#!/usr/bin/env node
// threadbank against workerpool and a comlink round robin, in headless Chromium, in one run.
//
// As in bench/node/run.mjs: every library runs the same workload with the same worker count
// and the same handler code (bench/node/workers/handlers.mjs), one library at a time (each
// on a freshly loaded page, closed before the next, so they never share a heap or compete
// for the cores), alternating over several rounds with the order rotated each round. The
// table gives the median over rounds, the range (min-max), threadbank's ratio to each peer,
// and what the main thread went through meanwhile (long tasks, timer delay).
//
//   node bench/browser/run.mjs [--rounds 3] [--workers 2] [--seconds 3] [--warmup 0.5]
//     [--inflight 256] [--prefetch N] [--libs threadbank,threadbank-nothreads,workerpool,comlink]
//     [--write]
//
// --prefetch sets the threadbank script bank's prefetch (default: the bank's own default).
// threadbank-nothreads is threadbank on a page that is not cross-origin isolated, so it
// runs its build without threads. --write puts the report in bench/RESULTS.md
// between this script's markers (replacing an earlier one); without it, it is only printed.
// Exits non-zero if any library failed to run.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

import { serve } from '../../tests/browser/serve.mjs';
import { fmtInt, fmtMs, report } from './report.mjs';

const ROOT = new URL('../../', import.meta.url);
const RESULTS = new URL('../RESULTS.md', import.meta.url);
const SECTION_START = '<!-- bench/browser/run.mjs: start -->';
const SECTION_END = '<!-- bench/browser/run.mjs: end -->';
// Same flags as tests/browser/run.mjs (which runs on import, so they cannot be imported).
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
// What the page needs: the browser build and both wasm builds it may load.
const REQUIRED = [
  'dist/browser/browser.js',
  'dist/browser/worker-browser.js',
  'build/wasm-threads/threadbank-web.js',
  'build/wasm-threads/threadbank.wasm',
  'build/wasm-nothreads/threadbank-nothreads-web.js',
  'build/wasm-nothreads/threadbank-nothreads.wasm',
];

/** What runs: a library on a page that is, or is not, cross-origin isolated. */
const VARIANTS = [
  { name: 'threadbank', lib: 'threadbank', isolated: true, label: 'threadbank (script bank, pthread build)' },
  { name: 'threadbank-nothreads', lib: 'threadbank', isolated: false, label: 'threadbank (script bank, build without threads, page not isolated)' },
  { name: 'workerpool', lib: 'workerpool', isolated: true, label: 'workerpool' },
  { name: 'comlink', lib: 'comlink', isolated: true, label: 'comlink round robin' },
];

// --- options ------------------------------------------------------------------------------

const DEFAULTS = { rounds: 3, workers: 2, seconds: 3, warmup: 0.5, inflight: 256, prefetch: undefined, libs: VARIANTS.map((v) => v.name).join(','), write: false };
const NUMERIC = new Set(['rounds', 'workers', 'seconds', 'warmup', 'inflight', 'prefetch']);

function parseArgs(argv) {
  const options = { ...DEFAULTS };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new Error(`Expected an option (--name) but received ${arg}`);
    const [name, inline] = arg.slice(2).split('=', 2);
    if (!(name in DEFAULTS)) throw new Error(`Unknown option --${name} (known: ${Object.keys(DEFAULTS).join(', ')})`);
    if (typeof DEFAULTS[name] === 'boolean') {
      options[name] = true;
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Error(`Expected a value for --${name}`);
    if (NUMERIC.has(name)) {
      const number = Number(value.replaceAll('_', ''));
      // prefetch 0 is meaningful (no prefetching); everything else must be positive.
      if (!Number.isFinite(number) || number < 0 || (number === 0 && name !== 'prefetch')) {
        throw new Error(`Expected a ${name === 'prefetch' ? 'non-negative' : 'positive'} number for --${name} but received ${value}`);
      }
      options[name] = number;
    } else {
      options[name] = value;
    }
  }
  return options;
}

// --- helpers ------------------------------------------------------------------------------

const log = (message) => process.stderr.write(`${message}\n`);

/** Order for round `r`: rotated, so no library always runs first or last. */
function rotate(list, r) {
  const k = r % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function environment(commandLine, browserVersion) {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const cpu = /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown';
  const versions = Object.fromEntries(
    ['threadbank', 'workerpool', 'comlink', 'playwright-core'].map((name) => {
      const path = name === 'threadbank' ? new URL('package.json', ROOT) : new URL(`node_modules/${name}/package.json`, ROOT);
      return [name, JSON.parse(readFileSync(path, 'utf8')).version];
    }),
  );
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8' }).trim();
    if (dirty) commit += ' + uncommitted changes';
  } catch {
    // Not a git checkout: the version alone identifies it.
  }
  return {
    cpu,
    cores: os.availableParallelism(),
    os: `${os.platform()} ${os.release()}`,
    node: process.version,
    browser: `Chromium ${browserVersion} (headless)`,
    versions,
    commit,
    date: new Date().toISOString(),
    command: commandLine,
  };
}

/** Replaces this script's section of bench/RESULTS.md (or appends it). */
function writeSection(markdown) {
  const section = `${SECTION_START}\n${markdown.trimEnd()}\n${SECTION_END}\n`;
  let text = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '';
  const from = text.indexOf(SECTION_START);
  const to = text.indexOf(SECTION_END);
  if (from >= 0 && to > from) text = text.slice(0, from) + section + text.slice(to + SECTION_END.length).replace(/^\n/, '');
  else text = text.trim() ? `${text.trimEnd()}\n\n${section}` : section;
  writeFileSync(RESULTS, text);
  log(`bench: wrote ${fileURLToPath(RESULTS)}`);
}

// --- one library, one round ---------------------------------------------------------------

/**
 * Loads the bench page from the server matching the variant's isolation, runs the library
 * there, and closes the page. Throws if the page is not what the variant needs.
 */
async function runOnce(browser, servers, variant, options) {
  const { port } = servers[variant.isolated ? 'isolated' : 'plain'].address();
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  try {
    await page.goto(`http://127.0.0.1:${port}/bench/browser/page.html`);
    await page.waitForFunction(() => window.__benchReady === true, null, { timeout: 60_000 });
    const config = { workers: options.workers, inflight: options.inflight, warmup: options.warmup, seconds: options.seconds, prefetch: options.prefetch };
    // Generous: start-up, warm-up, the window, draining and shutdown, on a busy machine.
    const limit = (options.warmup + options.seconds) * 1000 * 4 + 60_000;
    const result = await withTimeout(
      page.evaluate(({ lib, config }) => window.__bench.run(lib, config), { lib: variant.lib, config }),
      limit,
      `${variant.name} on the page`,
    );
    if (result.isolated !== variant.isolated) throw new Error(`expected crossOriginIsolated ${variant.isolated} but the page reports ${result.isolated}`);
    if (variant.lib === 'threadbank' && result.threads !== variant.isolated) throw new Error(`expected canUseThreads() ${variant.isolated} but it is ${result.threads}`);
    return result;
  } catch (error) {
    if (errors.length) error.message += ` (page errors: ${errors.join('; ')})`;
    throw error;
  } finally {
    await page.close().catch(() => {});
  }
}

// --- the run ------------------------------------------------------------------------------

async function main() {
  const argv = process.argv.slice(2);
  const options = parseArgs(argv);
  const missing = REQUIRED.filter((path) => !existsSync(new URL(path, ROOT)));
  if (missing.length) throw new Error(`missing build output: ${missing.join(', ')}; run \`bash scripts/build.sh wasm js\` first`);
  const names = options.libs.split(',').filter(Boolean);
  for (const name of names) if (!VARIANTS.some((v) => v.name === name)) throw new Error(`Unknown library ${name} (known: ${VARIANTS.map((v) => v.name).join(', ')})`);
  const variants = VARIANTS.filter((v) => names.includes(v.name));

  const root = fileURLToPath(ROOT).replace(/\/$/, '');
  const servers = { isolated: await serve(root, { isolated: true }), plain: await serve(root, { isolated: false }) };
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
  const env = environment(`node bench/browser/run.mjs${argv.length ? ` ${argv.join(' ')}` : ''}`, browser.version());
  const loadBefore = os.loadavg()[0];
  const started = performance.now();
  log(`bench: ${env.cpu}, ${env.cores} cores, ${env.browser}; ${options.rounds} round${options.rounds === 1 ? '' : 's'}, ${options.workers} workers, ${options.inflight} in flight`);

  const results = {};
  const failures = {};
  try {
    for (let round = 0; round < options.rounds; round++) {
      log(`bench: round ${round + 1}/${options.rounds}`);
      for (const variant of rotate(variants, round)) {
        try {
          const r = await runOnce(browser, servers, variant, options);
          (results[variant.name] ??= []).push(r);
          log(
            `  ${variant.name}: ${fmtInt(r.ops)} ops/s, p50 ${fmtMs(r.p50)} ms, p99 ${fmtMs(r.p99)} ms; ` +
              `main thread in the window: ${r.window.longTasks} tasks > 50 ms${r.window.longTasks ? ` (longest ${fmtMs(r.window.longestTaskMs)} ms)` : ''}, ` +
              `timer late by up to ${fmtMs(r.window.maxTimerDelayMs)} ms; whole run: ${r.whole.longTasks} tasks > 50 ms; start-up ${fmtMs(r.startupMs)} ms`,
          );
        } catch (error) {
          (failures[variant.name] ??= []).push(error.message.split('\n')[0]);
          log(`  ${variant.name}: FAILED: ${error.message}`);
        }
      }
    }
  } finally {
    await browser.close();
    servers.isolated.close();
    servers.plain.close();
  }
  env.load = [loadBefore, os.loadavg()[0]];

  const markdown = report({ options, env, variants, results, failures, totalS: (performance.now() - started) / 1000 });
  process.stdout.write(`${markdown}\n`);
  if (options.write) writeSection(markdown);
  if (Object.keys(failures).length > 0) {
    log(`bench: failed: ${Object.keys(failures).join(', ')}`);
    process.exitCode = 1;
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
