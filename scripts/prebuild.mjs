#!/usr/bin/env node
// Builds the prebuilt Node-API binaries the package ships, on the project's machine:
//   prebuilds/linux-x64-glibc/threadbank.node     (the host compiler)
//   prebuilds/linux-arm64-glibc/threadbank.node   (Debian's aarch64-linux-gnu-g++, when installed)
// libstdc++ is linked in (THREADBANK_STATIC_RUNTIME, see node-addon/CMakeLists.txt), so the
// binaries need only glibc and libgcc_s; the glibc version they need is checked and printed
// (the newest GLIBC_x.y symbol they import; GLIBC_FLOOR below). N-API is ABI-stable, so one binary per platform serves every Node
// from 20 on (and Bun). Runs from `prepack`; each target is skipped when a hash of its
// inputs matches the stamp of the last build (build/prebuild-<target>/stamp).
// Usage: node scripts/prebuild.mjs [--target linux-x64-glibc,linux-arm64-glibc] [--force]
// A release packs with THREADBANK_PREBUILD_ALL=1, so a missing cross compiler fails it.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// Libraries a prebuilt binary may still need from the user's system: glibc's own, and
// libgcc_s, which Node itself links (so it is loaded in every Node process).
const SYSTEM_LIBS = new Set(['libc.so.6', 'libgcc_s.so.1', 'libm.so.6', 'libpthread.so.0', 'libdl.so.2', 'librt.so.1', 'ld-linux-x86-64.so.2', 'ld-linux-aarch64.so.1']);

// Debian 12 builds import glibc 2.34 at least (libpthread merged into libc then); a newer
// symbol would shut out RHEL 9, Amazon Linux 2023 and Ubuntu 22.04, so it fails the build.
const GLIBC_FLOOR = '2.34';

const TARGETS = {
  'linux-x64-glibc': { host: 'linux-x64', prefix: '', cmake: [] },
  'linux-arm64-glibc': {
    host: undefined,
    prefix: 'aarch64-linux-gnu-',
    cmake: ['-DCMAKE_SYSTEM_NAME=Linux', '-DCMAKE_SYSTEM_PROCESSOR=aarch64', '-DCMAKE_CXX_COMPILER=aarch64-linux-gnu-g++'],
  },
};

const args = process.argv.slice(2);
const force = args.includes('--force');
const targetFlag = args.indexOf('--target');
const requested = targetFlag >= 0 ? args[targetFlag + 1]?.split(',') : undefined;
const unknown = (requested ?? []).filter((t) => !(t in TARGETS));
if (unknown.length > 0) {
  console.error(`prebuild: expected targets from ${Object.keys(TARGETS).join(', ')} but received ${unknown.join(', ')}`);
  process.exit(2);
}

const has = (command) => spawnSync(command, ['--version'], { stdio: 'ignore' }).status === 0;

function run(command, commandArgs) {
  const result = spawnSync(command, commandArgs, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`${command} ${commandArgs.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`})`);
}

function output(command, commandArgs) {
  const result = spawnSync(command, commandArgs, { cwd: root, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${commandArgs.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

function filesUnder(dir) {
  return readdirSync(join(root, dir), { recursive: true })
    .map((f) => join(dir, f))
    .filter((f) => statSync(join(root, f)).isFile())
    .sort();
}

/** What the binary is made of: the sources, the headers, this script and the compiler. */
function inputsHash(target) {
  const hash = createHash('sha256');
  const files = ['CMakeLists.txt', 'scripts/prebuild.mjs', ...['core', 'bindings', 'node-addon'].flatMap(filesUnder)];
  for (const file of files) hash.update(`${file}\0`).update(readFileSync(join(root, file)));
  hash.update(readFileSync(join(root, 'node_modules', 'node-addon-api', 'package.json')));
  hash.update(output(`${TARGETS[target].prefix}g++`, ['--version']));
  return hash.digest('hex');
}

/** Fails when the binary needs a shared library a user's system may lack; returns its glibc floor. */
function check(target, file) {
  const objdump = `${TARGETS[target].prefix}objdump`;
  const needed = [...output(objdump, ['-p', file]).matchAll(/NEEDED\s+(\S+)/g)].map((m) => m[1]);
  const extra = needed.filter((lib) => !SYSTEM_LIBS.has(lib));
  if (extra.length > 0) throw new Error(`${relative(root, file)} needs ${extra.join(', ')}; expected only ${[...SYSTEM_LIBS].join(', ')}`);
  const versions = [...output(objdump, ['-T', file]).matchAll(/GLIBC_(\d+)\.(\d+)(?:\.(\d+))?/g)].map((m) => [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)]);
  versions.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
  const newest = versions.at(-1);
  const glibc = newest ? newest.filter((n, i) => i < 2 || n > 0).join('.') : 'none';
  const [major, minor] = GLIBC_FLOOR.split('.').map(Number);
  if (newest && (newest[0] > major || (newest[0] === major && newest[1] > minor))) {
    throw new Error(`${relative(root, file)} imports GLIBC_${glibc}; expected nothing newer than GLIBC_${GLIBC_FLOOR}`);
  }
  return { needed, glibc };
}

function build(target) {
  const spec = TARGETS[target];
  const buildDir = join(root, 'build', `prebuild-${target}`);
  const out = join(root, 'prebuilds', target, 'threadbank.node');
  const stampFile = join(buildDir, 'stamp');
  const stamp = inputsHash(target);
  if (!force && existsSync(out) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) {
    console.error(`prebuild: ${target} up to date`);
    return;
  }
  const started = Date.now();
  console.error(`prebuild: ${target}: building`);
  rmSync(buildDir, { recursive: true, force: true });
  const generator = has('ninja') ? ['-G', 'Ninja'] : [];
  run('cmake', ['-S', root, '-B', buildDir, ...generator, '-DCMAKE_BUILD_TYPE=Release', '-DTHREADBANK_BUILD_NODE=ON',
    '-DTHREADBANK_BUILD_TESTS=OFF', '-DTHREADBANK_BUILD_BENCH=OFF', '-DTHREADBANK_STATIC_RUNTIME=ON', ...spec.cmake]);
  run('cmake', ['--build', buildDir, '--parallel', '2']);
  mkdirSync(dirname(out), { recursive: true });
  copyFileSync(join(buildDir, 'threadbank.node'), out);
  // Symbols for debugging stay in the build tree; users get the stripped copy.
  run(`${spec.prefix}strip`, ['--strip-unneeded', out]);
  const { needed, glibc } = check(target, out);
  writeFileSync(stampFile, stamp);
  console.error(`prebuild: ${target}: ${statSync(out).size} bytes, needs ${needed.join(' ')}, glibc >= ${glibc} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
}

const hostTag = `${process.platform}-${process.arch}`;
const targets = requested ?? Object.keys(TARGETS).filter((t) => {
  const spec = TARGETS[t];
  if (spec.host !== undefined) return spec.host === hostTag;
  // Cross targets: built when their compiler is installed (Debian: g++-aarch64-linux-gnu).
  if (has(`${spec.prefix}g++`)) return true;
  // A release must not lose a platform silently: THREADBANK_PREBUILD_ALL=1 makes this an error.
  const message = `prebuild: ${t} needs ${spec.prefix}g++ (apt install g++-aarch64-linux-gnu)`;
  if (process.env.THREADBANK_PREBUILD_ALL === '1') {
    console.error(message);
    process.exit(1);
  }
  console.error(`${message}; skipped, the package will not ship it`);
  return false;
});
if (targets.length === 0) {
  console.error(`prebuild: no target builds on ${hostTag}; the package will ship no prebuilt binary`);
}
for (const target of targets) build(target);
