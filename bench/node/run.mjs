#!/usr/bin/env node
// threadbank against piscina, tinypool, workerpool and poolifier, in one run.
//
// Numbers from different runs (or machines) are not comparable: every workload runs on
// every library in this one process, with the same worker count and the same handler code
// (bench/node/workers/handlers.mjs), one pool at a time (each destroyed before the next, so
// they never compete for the cores), alternating libraries over several rounds with the
// order rotated each round. Tables give the median over rounds, the range (min-max), and
// threadbank's ratio to each peer. Where the medians are close (workloads b and e), more
// rounds run and each round's threadbank result is also divided by that peer's in the same
// round (paired ratios): the machine's speed drifts over minutes, and a peer measured next
// to threadbank saw the same machine.
//
//   node bench/node/run.mjs [--rounds 5] [--workers 2] [--seconds 3] [--inflight 256]
//     [--shape-tasks 100000] [--shape-size 1000] [--shape-rounds 5] [--startup-rounds 15]
//     [--burn-tasks 300] [--burn-iterations 2000000]
//     [--queued 1000000] [--queued-rounds 1] [--queued-timeout 75] [--prefetch auto]
//     [--only a,b,c,d,e] [--libs name,...] [--write]
//
// Workloads:
//   a  tiny task {a:4,b:6} add, closed loop with --inflight requests in flight for --seconds
//   b  poolifier's benchmark shape: --shape-tasks tasks at once, each --shape-size
//      JSON.stringify({a:i}), pool size = cores
//   c  native actions: a CPU task (basic pack `burn` vs the same xorshift loop in JS)
//   d  --queued requests queued at once: peak RSS and time to drain (one child process per
//      library, so each peak is that library's own)
//   e  start-up: creating the pool to the first result
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import { Worker } from 'node:worker_threads';
import vm from 'node:vm';

import { Piscina } from 'piscina';
import { FixedThreadPool } from 'poolifier';
import { createWorkerManager } from 'threadbank';
import Tinypool from 'tinypool';
import workerpool from 'workerpool';

const ROOT = new URL('../../', import.meta.url);
const WORKERS = new URL('./workers/', import.meta.url);
const RESULTS = new URL('../RESULTS.md', import.meta.url);
const SECTION_START = '<!-- bench/node/run.mjs: start -->';
const SECTION_END = '<!-- bench/node/run.mjs: end -->';
// Workload e's reference row: no pool, bare worker_threads (see floorStartupRound).
const FLOOR = 'floor';
const FLOOR_LABEL = 'floor: bare worker_threads';

// --- options ------------------------------------------------------------------------------

const DEFAULTS = {
  // Five: the native bank's tiny-task loop swung from 171k to 268k ops/s between the three
  // rounds of one run, and from 178k to 324k over five in the next (2 cores shared with
  // the machine's other work); a median of three could land on the slow side of 10x piscina.
  rounds: 5,
  workers: 2,
  seconds: 3,
  inflight: 256,
  'shape-tasks': 100_000,
  'shape-size': 1_000,
  // Workload b is a 10-15 s round per library whose result turns on a few percent; workload
  // e is a fraction of a second per round and noisy. Both get more rounds than --rounds.
  'shape-rounds': 5,
  'startup-rounds': 15,
  'burn-tasks': 300,
  'burn-iterations': 2_000_000,
  queued: 1_000_000,
  // One round: a 1M-request drain takes 10-40 s per library, and peak RSS barely moves
  // between rounds; three rounds of it alone would take most of the 10-minute budget.
  'queued-rounds': 1,
  // Past this a library's drain is stopped and reported as "> N s": tinypool and
  // workerpool slow down quadratically with their queue length and would take many minutes.
  'queued-timeout': 75,
  warmup: 0.5,
  // The script bank's prefetch (attempts queued inside each worker beyond the running one):
  // the library's default, 'auto', or a number from 0 to 64.
  prefetch: 'auto',
  only: 'a,b,c,d,e',
  libs: '',
  child: '',
  lib: '',
  write: false,
};

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
    if (typeof DEFAULTS[name] === 'number') {
      const number = Number(value.replaceAll('_', ''));
      if (!Number.isFinite(number) || number <= 0) throw new Error(`Expected a positive number for --${name} but received ${value}`);
      options[name] = number;
    } else {
      options[name] = value;
    }
  }
  return options;
}

// --- libraries ----------------------------------------------------------------------------

/**
 * Each library behind one shape: create({workers, maxQueue, prefetch}) -> {run(name, data), destroy()}.
 * Options are each library's defaults except the worker count (fixed, min = max) and, for
 * threadbank, a queue limit high enough for workloads b and d and the script bank's prefetch
 * (--prefetch).
 */
const LIBRARIES = {
  threadbank: {
    label: 'threadbank (script bank)',
    actions: ['add', 'jsonLoop', 'burn'],
    async create({ workers, maxQueue, prefetch }) {
      const manager = await createWorkerManager({
        maxQueue: Math.max(100_000, maxQueue),
        banks: [{ bankId: 'bench', script: new URL('threadbank.mjs', WORKERS), workerCount: workers, prefetch }],
      });
      return { run: (name, data) => manager.submitRequest(name, data), destroy: () => manager.shutdown() };
    },
  },
  'threadbank-native': {
    label: 'threadbank (native bank)',
    actions: ['add', 'burn'],
    async create({ workers, maxQueue }) {
      const manager = await createWorkerManager({
        maxQueue: Math.max(100_000, maxQueue),
        banks: [{ bankId: 'native', builtin: 'basic', workerCount: workers }],
      });
      return { run: (name, data) => manager.submitRequest(name, data), destroy: () => manager.shutdown() };
    },
  },
  poolifier: {
    label: 'poolifier',
    actions: ['add', 'jsonLoop', 'burn'],
    async create({ workers }) {
      const pool = new FixedThreadPool(workers, fileURLToPath(new URL('poolifier.mjs', WORKERS)));
      return { run: (name, data) => pool.execute(data, name), destroy: () => pool.destroy() };
    },
  },
  piscina: {
    label: 'piscina',
    actions: ['add', 'jsonLoop', 'burn'],
    async create({ workers }) {
      const pool = new Piscina({ filename: new URL('piscina.mjs', WORKERS).href, minThreads: workers, maxThreads: workers });
      return { run: (name, data) => pool.run(data, { name }), destroy: () => pool.destroy() };
    },
  },
  tinypool: {
    label: 'tinypool',
    actions: ['add', 'jsonLoop', 'burn'],
    async create({ workers }) {
      const pool = new Tinypool({ filename: new URL('tinypool.mjs', WORKERS).href, minThreads: workers, maxThreads: workers });
      return { run: (name, data) => pool.run(data, { name }), destroy: () => pool.destroy() };
    },
  },
  workerpool: {
    label: 'workerpool',
    actions: ['add', 'jsonLoop', 'burn'],
    async create({ workers }) {
      const pool = workerpool.pool(fileURLToPath(new URL('workerpool.mjs', WORKERS)), {
        minWorkers: workers,
        maxWorkers: workers,
        workerType: 'thread',
      });
      return { run: (name, data) => pool.exec(name, [data]), destroy: () => pool.terminate() };
    },
  },
};
const PEERS = ['poolifier', 'piscina', 'tinypool', 'workerpool'];
const PACKAGES = ['piscina', 'tinypool', 'workerpool', 'poolifier'];

// --- helpers ------------------------------------------------------------------------------

v8.setFlagsFromString('--expose-gc');
/** Collects garbage between pools so one library's leftovers do not land on the next. */
const gc = vm.runInNewContext('gc');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Library order for round `r`: rotated, so no library always runs first or last. */
function rotate(list, r) {
  const k = r % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}

/**
 * Destroys a pool, giving up after `ms`: poolifier's destroy() now and then never settles
 * after a heavy load (and, holding nothing open, would let the process exit mid-run).
 */
async function destroy(name, pool, ms = 10_000) {
  let timer;
  const gaveUp = new Promise((resolve) => (timer = setTimeout(() => resolve(true), ms)));
  const stuck = await Promise.race([Promise.resolve(pool.destroy()).then(() => false), gaveUp]);
  clearTimeout(timer);
  if (stuck) log(`  (${name}: destroy() did not settle within ${ms} ms; moving on)`);
}

let scriptPrefetch = DEFAULTS.prefetch;

async function withPool(name, config, body) {
  gc();
  const pool = await LIBRARIES[name].create({ prefetch: scriptPrefetch, ...config });
  try {
    return await body(pool);
  } finally {
    await destroy(name, pool);
    gc();
  }
}

/**
 * CPU time (ms) used by the whole machine and by this process with its waited-for
 * children, from /proc: the difference is what other processes took while we measured.
 */
/** The numeric fields of a /proc .../stat file after the command name, which may hold spaces. */
function statFields(path) {
  const stat = readFileSync(path, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
}

function cpuTimes() {
  if (!existsSync('/proc/stat')) return undefined;
  const tick = 1000 / 100; // USER_HZ is 100 on Linux
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = cpu[3] + (cpu[4] ?? 0);
  const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
  const fields = statFields('/proc/self/stat');
  // utime, stime, cutime, cstime are fields 14-17 (1-based), i.e. 11-14 after the ')'.
  const own = fields[11] + fields[12] + fields[13] + fields[14];
  return { busy: (total - idle) * tick, total: total * tick, own: own * tick };
}

function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

function log(message) {
  process.stderr.write(`${message}\n`);
}

// --- workloads ----------------------------------------------------------------------------

/**
 * Keeps `inflight` requests outstanding for `seconds`; counts (and times) only the ones
 * that complete inside the window, then waits for the rest to come back.
 */
function closedLoop(run, inflight, seconds, recordLatency) {
  return new Promise((resolve, reject) => {
    let latencies = new Float64Array(recordLatency ? 1 << 20 : 0);
    let latencyCount = 0;
    let completed = 0;
    let active = 0;
    let failed = false;
    const start = performance.now();
    const end = start + seconds * 1000;
    const params = { a: 4, b: 6 };
    const record = (ms) => {
      if (latencyCount === latencies.length) {
        const bigger = new Float64Array(latencies.length * 2);
        bigger.set(latencies);
        latencies = bigger;
      }
      latencies[latencyCount++] = ms;
    };
    const launch = () => {
      const t0 = performance.now();
      active++;
      run('add', params).then(
        (value) => {
          const t = performance.now();
          active--;
          if (failed) return;
          if (t <= end) {
            completed++;
            if (recordLatency) record(t - t0);
            if (completed === 1 && value?.result !== 10) {
              failed = true;
              reject(new Error(`add answered ${JSON.stringify(value)}`));
              return;
            }
            launch();
          } else if (active === 0) {
            const sorted = latencies.subarray(0, latencyCount).sort();
            resolve({ ops: completed / seconds, p50: percentile(sorted, 50), p99: percentile(sorted, 99) });
          }
        },
        (error) => {
          failed = true;
          reject(error);
        },
      );
    };
    for (let i = 0; i < inflight; i++) launch();
  });
}

async function tinyRound(name, options) {
  return withPool(name, { workers: options.workers, maxQueue: 0 }, async (pool) => {
    await closedLoop(pool.run, options.inflight, options.warmup, false);
    return closedLoop(pool.run, options.inflight, options.seconds, true);
  });
}

/** Submits `count` copies of one task at once; resolves with the wall time to the last. */
async function allAtOnce(run, name, data, count) {
  const promises = new Array(count);
  const start = performance.now();
  for (let i = 0; i < count; i++) promises[i] = run(name, data);
  const values = await Promise.all(promises);
  return { ms: performance.now() - start, first: values[0] };
}

/**
 * CPU time (ms) of this process's main thread, the event loop that runs each pool's
 * bookkeeping, from /proc (10 ms ticks); undefined where there is no /proc.
 */
function mainThreadCpuMs() {
  const path = `/proc/self/task/${process.pid}/stat`;
  if (!existsSync(path)) return undefined;
  const fields = statFields(path);
  // utime and stime are fields 14 and 15 (1-based), i.e. 11 and 12 after the ')'.
  return (fields[11] + fields[12]) * (1000 / 100);
}

async function shapeRound(name, options) {
  const tasks = options['shape-tasks'];
  const data = { n: options['shape-size'] };
  return withPool(name, { workers: os.availableParallelism(), maxQueue: tasks + 1024 }, async (pool) => {
    // A short warm-up, so the wall time is the tasks' and not the workers' start-up.
    await allAtOnce(pool.run, 'jsonLoop', data, Math.min(1000, Math.ceil(tasks / 10)));
    // The wall time swings with the machine (the handlers are ~90% of it); the pool's own
    // cost on the event loop is the part that is the library's, and moves far less.
    const loopBefore = mainThreadCpuMs();
    const cpuBefore = process.cpuUsage();
    const { ms, first } = await allAtOnce(pool.run, 'jsonLoop', data, tasks);
    const cpu = process.cpuUsage(cpuBefore);
    const loopAfter = mainThreadCpuMs();
    check(first?.ok === true, `${name} jsonLoop answered ${JSON.stringify(first)}`);
    return {
      ms,
      loopUs: loopBefore === undefined ? NaN : ((loopAfter - loopBefore) * 1000) / tasks,
      cpuUs: (cpu.user + cpu.system) / tasks,
    };
  });
}

async function burnRound(name, options, expected) {
  const tasks = options['burn-tasks'];
  const data = { iterations: options['burn-iterations'] };
  return withPool(name, { workers: options.workers, maxQueue: tasks + 1024 }, async (pool) => {
    await allAtOnce(pool.run, 'burn', data, options.workers * 2);
    const { ms, first } = await allAtOnce(pool.run, 'burn', data, tasks);
    check(first?.value === expected, `${name} burn answered ${JSON.stringify(first)}, expected value ${expected}`);
    return { ms, perSecond: tasks / (ms / 1000) };
  });
}

/**
 * Node's own floor for workload e: bare worker_threads workers (as many as the pools')
 * running an ES module that imports the same handlers, timed to the first one's answer to
 * a posted `add`.
 */
async function floorStartupRound(options) {
  gc();
  const start = performance.now();
  const workers = Array.from({ length: options.workers }, () => new Worker(new URL('bare.mjs', WORKERS)));
  const value = await new Promise((resolve, reject) => {
    for (const worker of workers) {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.postMessage({ a: 4, b: 6 });
    }
  });
  const ms = performance.now() - start;
  await sleep(150);
  await Promise.all(workers.map((worker) => worker.terminate()));
  check(value?.result === 10, `bare worker add answered ${JSON.stringify(value)}`);
  return { ms };
}

async function startupRound(name, options) {
  gc();
  const start = performance.now();
  const pool = await LIBRARIES[name].create({ workers: options.workers, maxQueue: 0, prefetch: scriptPrefetch });
  const value = await pool.run('add', { a: 4, b: 6 });
  const ms = performance.now() - start;
  // The other workers are still loading their script. Node 20 aborts the whole process when
  // a worker is terminated while it instantiates an ES module loaded with require(), which
  // piscina's workers do: let every worker finish loading before the pool goes.
  await sleep(150);
  await destroy(name, pool);
  check(value?.result === 10, `${name} add answered ${JSON.stringify(value)}`);
  return { ms };
}

/** Child process side of workload d: one library, `queued` requests at once. */
async function queuedChild(options) {
  const name = options.lib;
  const count = options.queued;
  const readHwm = () => {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  };
  const pool = await LIBRARIES[name].create({ workers: options.workers, maxQueue: count + 1024 });
  await allAtOnce(pool.run, 'add', { a: 4, b: 6 }, 1000);
  gc();
  await sleep(50);
  const baseRss = process.memoryUsage.rss();
  let peakSampled = baseRss;
  const params = { a: 4, b: 6 };
  const promises = new Array(count);
  const start = performance.now();
  // Sampling runs only when the event loop turns (not during the synchronous submit loop);
  // the kernel's high-water mark (VmHWM) catches the true peak, so both are reported.
  let ticks = 0;
  const sampler = setInterval(() => {
    const rss = process.memoryUsage.rss();
    if (rss > peakSampled) peakSampled = rss;
    // Once a second, the peak so far: what the parent reports if it has to stop us.
    if (++ticks % 100 === 0) process.stdout.write(`${JSON.stringify({ progress: true, elapsedMs: performance.now() - start, peakRss: Math.max(peakSampled, readHwm()) })}\n`);
  }, 10);
  for (let i = 0; i < count; i++) promises[i] = pool.run('add', params);
  const submitMs = performance.now() - start;
  const values = await Promise.all(promises);
  const drainMs = performance.now() - start;
  clearInterval(sampler);
  check(values[count - 1]?.result === 10, `${name} add answered ${JSON.stringify(values[count - 1])}`);
  const peakRss = Math.max(peakSampled, readHwm(), process.memoryUsage.rss());
  process.stdout.write(`${JSON.stringify({ submitMs, drainMs, baseRss, peakRss, peakSampled })}\n`);
  await destroy(name, pool);
  process.exit(0);
}

function queuedRound(name, options) {
  const script = fileURLToPath(import.meta.url);
  const args = [script, '--child', 'queued', '--lib', name, '--queued', String(options.queued), '--workers', String(options.workers)];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    let timedOut = false;
    child.stdout.on('data', (chunk) => (out += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options['queued-timeout'] * 1000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const lines = out.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line));
      const last = lines.at(-1);
      if (timedOut) return resolve({ timedOut: true, peakRss: last?.peakRss ?? NaN });
      if (code !== 0 || last === undefined || last.progress) return reject(new Error(`queued child for ${name} exited with ${code} before reporting`));
      resolve(last);
    });
  });
}

// --- formatting ---------------------------------------------------------------------------

const fmtInt = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const fmtMs = (n) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n >= 10 ? n.toFixed(1) : n >= 1 ? n.toFixed(2) : n.toFixed(3));
const fmtS = (ms) => `${(ms / 1000).toFixed(2)} s`;
const fmtMb = (bytes) => `${Math.round(bytes / 2 ** 20).toLocaleString('en-US')} MB`;
const fmtRatio = (r) => (Number.isFinite(r) ? `${r >= 10 ? r.toFixed(0) : r >= 0.1 ? r.toFixed(2) : r.toPrecision(2)}x` : '');

function summary(values, format) {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return { median: NaN, text: 'n/a', range: '' };
  const med = median(finite);
  const range = finite.length > 1 ? `${format(Math.min(...finite))} - ${format(Math.max(...finite))}` : '';
  return { median: med, text: format(med), range };
}

function table(headers, rows) {
  const lines = [`| ${headers.join(' | ')} |`, `| ${headers.map((h, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`];
  for (const row of rows) lines.push(`| ${row.join(' | ')} |`);
  return lines.join('\n');
}

// --- the run ------------------------------------------------------------------------------

function environment(commandLine) {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const cpu = /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown';
  const versions = Object.fromEntries(
    ['threadbank', ...PACKAGES].map((name) => {
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
  return { cpu, cores: os.availableParallelism(), node: process.version, versions, commit, date: new Date().toISOString(), command: commandLine };
}

async function main() {
  const argv = process.argv.slice(2);
  const options = parseArgs(argv);
  scriptPrefetch = options.prefetch === 'auto' ? 'auto' : Number(options.prefetch);
  if (options.child === 'queued') return queuedChild(options);

  const only = new Set(options.only.split(','));
  const selected = options.libs ? options.libs.split(',') : Object.keys(LIBRARIES);
  for (const name of selected) if (!(name in LIBRARIES)) throw new Error(`Unknown library ${name} (known: ${Object.keys(LIBRARIES).join(', ')})`);
  const libs = (action) => selected.filter((name) => LIBRARIES[name].actions.includes(action));
  const rounds = options.rounds;
  const env = environment(`node bench/node/run.mjs${argv.length ? ` ${argv.join(' ')}` : ''}`);
  const started = performance.now();
  const cpuBefore = cpuTimes();
  const loadBefore = os.loadavg()[0];
  log(`bench: ${env.cpu}, ${env.cores} cores, Node ${env.node}; ${rounds} rounds, ${options.workers} workers`);

  // Load the addon once before anything is timed (start-up measures pools, not imports).
  await destroy('threadbank-native', await LIBRARIES['threadbank-native'].create({ workers: 1, maxQueue: 0 }));

  const results = { a: {}, b: {}, c: {}, d: {}, e: {} };
  const push = (workload, name, value) => (results[workload][name] ??= []).push(value);

  // The value every burn implementation must return, from the native action itself.
  let burnExpected;
  if (only.has('c')) {
    burnExpected = await withPool('threadbank-native', { workers: 1, maxQueue: 0 }, (pool) => pool.run('burn', { iterations: options['burn-iterations'] }));
    burnExpected = burnExpected.value;
  }

  const allRounds = Math.max(rounds, only.has('b') ? options['shape-rounds'] : 0, only.has('e') ? options['startup-rounds'] : 0);
  for (let round = 0; round < allRounds; round++) {
    log(`bench: round ${round + 1}/${allRounds}`);
    if (only.has('e') && round < options['startup-rounds']) {
      for (const name of rotate(libs('add'), round)) push('e', name, await startupRound(name, options));
      push('e', FLOOR, await floorStartupRound(options));
    }
    if (only.has('a') && round < rounds) {
      for (const name of rotate(libs('add'), round)) {
        const r = await tinyRound(name, options);
        log(`  a ${name}: ${fmtInt(r.ops)} ops/s, p50 ${fmtMs(r.p50)} ms, p99 ${fmtMs(r.p99)} ms`);
        push('a', name, r);
      }
    }
    if (only.has('c') && round < rounds) {
      for (const name of rotate(libs('burn'), round)) {
        const r = await burnRound(name, options, burnExpected);
        log(`  c ${name}: ${fmtS(r.ms)}`);
        push('c', name, r);
      }
    }
    if (only.has('b') && round < options['shape-rounds']) {
      for (const name of rotate(libs('jsonLoop'), round)) {
        const r = await shapeRound(name, options);
        log(`  b ${name}: ${fmtS(r.ms)}`);
        push('b', name, r);
      }
    }
    if (only.has('d') && round < options['queued-rounds']) {
      for (const name of rotate(libs('add').filter((n) => n !== 'threadbank'), round)) {
        const r = await queuedRound(name, options);
        log(`  d ${name}: ${r.timedOut ? `stopped after ${options['queued-timeout']} s, peak so far ${fmtMb(r.peakRss)}` : `${fmtS(r.drainMs)}, peak ${fmtMb(r.peakRss)}`}`);
        push('d', name, r);
      }
    }
  }
  const totalS = (performance.now() - started) / 1000;
  const cpuAfter = cpuTimes();
  if (cpuBefore && cpuAfter) {
    const machine = cpuAfter.total - cpuBefore.total;
    env.othersShare = Math.max(0, (cpuAfter.busy - cpuBefore.busy - (cpuAfter.own - cpuBefore.own)) / machine);
  }
  env.load = [loadBefore, os.loadavg()[0]];

  const markdown = report(options, env, results, totalS);
  process.stdout.write(`${markdown}\n`);
  if (options.write) writeSection(markdown);
}

function report(options, env, results, totalS) {
  const out = [];
  const v = env.versions;
  const rounds = options.rounds;
  out.push(`## Node: threadbank vs poolifier, piscina, tinypool, workerpool`);
  out.push('');
  out.push(`- machine: ${env.cpu}, ${env.cores} cores, Node ${env.node}, ${os.platform()} ${os.release()}`);
  out.push(`- packages: threadbank ${v.threadbank} (${env.commit}), poolifier ${v.poolifier}, piscina ${v.piscina}, tinypool ${v.tinypool}, workerpool ${v.workerpool}`);
  out.push(`- date: ${env.date}; the whole run took ${Math.round(totalS)} s`);
  if (env.othersShare !== undefined) {
    out.push(
      `- other processes used ${Math.round(env.othersShare * 100)}% of the machine's CPU time during the run ` +
        `(1-minute load average ${env.load[0].toFixed(1)} at the start, ${env.load[1].toFixed(1)} at the end); the more, the noisier the absolute numbers`,
    );
  }
  out.push(`- command: \`${env.command}\``);
  out.push(
    `- every number below comes from this one run: ${rounds} rounds (workload b ${options['shape-rounds']}, workload e ${options['startup-rounds']}), ` +
      `libraries alternating (order rotated each round), one pool at a time, ` +
      `${options.workers} workers unless noted, each library's default options otherwise (threadbank script bank: prefetch ${options.prefetch}). ` +
      `Cells are the median over rounds with the range (min - max) in brackets; ratios are of medians, except "per round": ` +
      `the median (and range) of threadbank's result divided by that library's in the same round, and in how many rounds threadbank was ahead.`,
  );
  out.push('');

  const label = (name) => (name === FLOOR ? FLOOR_LABEL : LIBRARIES[name].label);
  const medianOf = (workload, name, key) => summary((results[workload][name] ?? []).map((r) => r[key]), (x) => x).median;
  // Each round ran every library once, so the i-th results of two libraries are a pair.
  const perRound = (workload, name, key, lowerIsBetter) => {
    if (name.startsWith('threadbank')) return '';
    const ours = results[workload].threadbank ?? [];
    const theirs = results[workload][name] ?? [];
    const ratios = [];
    for (let i = 0; i < Math.min(ours.length, theirs.length); i++) ratios.push(ours[i][key] / theirs[i][key]);
    const finite = ratios.filter(Number.isFinite);
    if (finite.length === 0) return '';
    const ahead = finite.filter((r) => (lowerIsBetter ? r < 1 : r > 1)).length;
    const s = summary(finite, fmtRatio);
    return `${s.text}${s.range ? ` (${s.range})` : ''}, ahead in ${ahead} of ${finite.length}`;
  };

  if (Object.keys(results.a).length > 0) {
    out.push(`### a. Tiny task, closed loop`);
    out.push('');
    out.push(`\`add {a:4,b:6}\`, ${options.inflight} requests in flight for ${options.seconds} s per library per round (after ${options.warmup} s of warm-up).`);
    out.push('');
    const tb = medianOf('a', 'threadbank', 'ops');
    const native = medianOf('a', 'threadbank-native', 'ops');
    const rows = Object.keys(results.a).map((name) => {
      const ops = summary(results.a[name].map((r) => r.ops), fmtInt);
      const p50 = summary(results.a[name].map((r) => r.p50), fmtMs);
      const p99 = summary(results.a[name].map((r) => r.p99), fmtMs);
      return [
        label(name),
        `${ops.text}${ops.range ? ` (${ops.range})` : ''}`,
        `${p50.text}${p50.range ? ` (${p50.range})` : ''}`,
        `${p99.text}${p99.range ? ` (${p99.range})` : ''}`,
        fmtRatio(tb / ops.median),
        fmtRatio(native / ops.median),
      ];
    });
    out.push(table(['library', 'ops/s', 'p50 ms', 'p99 ms', 'threadbank script ÷ this', 'threadbank native ÷ this'], rows));
    out.push('');
  }

  if (Object.keys(results.b).length > 0) {
    out.push(`### b. poolifier's benchmark shape`);
    out.push('');
    out.push(
      `${fmtInt(options['shape-tasks'])} tasks submitted at once, each ${fmtInt(options['shape-size'])} \`JSON.stringify({a:i})\`, ` +
        `pool size = cores (${env.cores}); wall time from the first submit to the last result (after a short warm-up). Lower is better.`,
    );
    out.push('');
    const tb = medianOf('b', 'threadbank', 'ms');
    const rows = Object.keys(results.b).map((name) => {
      const ms = summary(results.b[name].map((r) => r.ms), fmtS);
      const loop = summary(results.b[name].map((r) => r.loopUs), (x) => x.toFixed(1));
      const cpu = summary(results.b[name].map((r) => r.cpuUs), (x) => x.toFixed(0));
      return [
        label(name),
        `${ms.text}${ms.range ? ` (${ms.range})` : ''}`,
        fmtRatio(tb / ms.median),
        perRound('b', name, 'ms', true),
        `${loop.text}${loop.range ? ` (${loop.range})` : ''}`,
        `${cpu.text}${cpu.range ? ` (${cpu.range})` : ''}`,
      ];
    });
    out.push(table(['library', 'wall time', 'threadbank time ÷ this', 'per round', 'event loop CPU, us per task', 'process CPU, us per task'], rows));
    out.push('');
    out.push(
      'The handlers are most of the wall time and their speed follows the machine from minute to minute; ' +
        "the event loop's CPU (the main thread's, from /proc) is the pool's own work for each task: submitting, sending, receiving, settling, and the garbage it makes.",
    );
    out.push('');
  }

  if (Object.keys(results.c).length > 0 || Object.keys(results.a).length > 0) {
    out.push(`### c. Native actions`);
    out.push('');
    out.push(
      `The native bank runs the basic pack's C++ actions on the core's own threads; peers (and the threadbank script bank) run the same work in JS. ` +
        `Tiny add: the closed loop of table a.` +
        (Object.keys(results.c).length > 0
          ? ` CPU task: ${fmtInt(options['burn-tasks'])} \`burn\` tasks of ${fmtInt(options['burn-iterations'])} ` +
            `xorshift64 rounds submitted at once (in JS on two uint32 halves; every library's result is checked against the native one).`
          : '') +
        ' Higher is better.',
    );
    out.push('');
    const rows = [];
    const nativeAdd = medianOf('a', 'threadbank-native', 'ops');
    const nativeBurn = medianOf('c', 'threadbank-native', 'perSecond');
    const names = [...new Set([...Object.keys(results.a), ...Object.keys(results.c)])];
    for (const name of names) {
      const add = results.a[name] ? summary(results.a[name].map((r) => r.ops), fmtInt) : undefined;
      const burn = results.c[name] ? summary(results.c[name].map((r) => r.perSecond), fmtInt) : undefined;
      rows.push([
        label(name),
        add ? add.text : '',
        add ? fmtRatio(nativeAdd / add.median) : '',
        burn ? `${burn.text}${burn.range ? ` (${burn.range})` : ''}` : '',
        burn ? fmtRatio(nativeBurn / burn.median) : '',
      ]);
    }
    out.push(table(['library', 'add ops/s', 'native ÷ this (add)', 'burn tasks/s', 'native ÷ this (burn)'], rows));
    out.push('');
  }

  if (Object.keys(results.d).length > 0) {
    const queuedRounds = Math.min(options['queued-rounds'], rounds);
    out.push(`### d. ${fmtInt(options.queued)} requests queued at once`);
    out.push('');
    out.push(
      `\`add {a:4,b:6}\` submitted in one synchronous loop, then awaited; one fresh child process per library (so the peak is that library's own), ` +
        `${queuedRounds} round${queuedRounds === 1 ? '' : 's'}. Peak RSS is the process's (main thread, workers, native threads): the kernel's high-water mark (VmHWM), ` +
        `never below the 10 ms samples; "before" is after the pool started and served 1,000 requests. Threadbank: native bank, maxQueue raised to fit; peers: default (unbounded) queues. Lower is better.`,
    );
    out.push('');
    const done = (name) => (results.d[name] ?? []).filter((r) => !r.timedOut);
    const tbDrain = summary(done('threadbank-native').map((r) => r.drainMs), (x) => x).median;
    const tbPeak = summary(done('threadbank-native').map((r) => r.peakRss), (x) => x).median;
    const rows = Object.keys(results.d).map((name) => {
      const ok = done(name);
      if (ok.length === 0) {
        const peakSoFar = summary(results.d[name].map((r) => r.peakRss), fmtMb);
        return [label(name), `> ${options['queued-timeout']} s (stopped)`, '', `${peakSoFar.text} when stopped`, '', '', ''];
      }
      const drain = summary(ok.map((r) => r.drainMs), fmtS);
      const submit = summary(ok.map((r) => r.submitMs), fmtS);
      const peak = summary(ok.map((r) => r.peakRss), fmtMb);
      const base = summary(ok.map((r) => r.baseRss), fmtMb);
      return [
        label(name),
        `${drain.text}${drain.range ? ` (${drain.range})` : ''}`,
        submit.text,
        `${peak.text}${peak.range ? ` (${peak.range})` : ''}`,
        base.text,
        fmtRatio(tbDrain / drain.median),
        fmtRatio(tbPeak / peak.median),
      ];
    });
    out.push(table(['library', 'time to drain', 'of which submitting', 'peak RSS', 'RSS before', 'threadbank native time ÷ this', 'threadbank native peak ÷ this'], rows));
    out.push('');
  }

  if (Object.keys(results.e).length > 0) {
    out.push(`### e. Start-up`);
    out.push('');
    out.push(
      `From creating the manager / pool (${options.workers} workers) to the first \`add\` result, in the same process (modules already loaded). Lower is better. ` +
        `"${FLOOR_LABEL}" is Node's own floor, timed in the same rounds: ${options.workers} bare workers running an ES module that imports the handlers, to the first one's answer to a message posted at once.`,
    );
    out.push('');
    const tb = medianOf('e', 'threadbank', 'ms');
    const native = medianOf('e', 'threadbank-native', 'ms');
    const rows = Object.keys(results.e).map((name) => {
      const ms = summary(results.e[name].map((r) => r.ms), fmtMs);
      return [label(name), `${ms.text}${ms.range ? ` (${ms.range})` : ''}`, fmtRatio(tb / ms.median), perRound('e', name, 'ms', true), fmtRatio(native / ms.median)];
    });
    out.push(table(['library', 'ms', 'threadbank script ÷ this', 'per round (script)', 'threadbank native ÷ this'], rows));
    out.push('');
  }
  return out.join('\n');
}

/** Replaces this script's section of bench/RESULTS.md (or appends it), leaving the rest. */
function writeSection(markdown) {
  const section = `${SECTION_START}\n${markdown.trimEnd()}\n${SECTION_END}\n`;
  let text = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '# Benchmark results\n\nEach section is one run of one command; never compare numbers across sections.\n';
  const from = text.indexOf(SECTION_START);
  const to = text.indexOf(SECTION_END);
  if (from >= 0 && to > from) {
    text = text.slice(0, from) + section + text.slice(to + SECTION_END.length).replace(/^\n/, '');
  } else {
    text = `${text.trimEnd()}\n\n${section}`;
  }
  writeFileSync(RESULTS, text);
  log(`bench: wrote ${fileURLToPath(RESULTS)}`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
