#!/usr/bin/env node
// Builds the Node-API addon into build/addon/threadbank.node with CMake and the local C++
// toolchain. Runs at package install time and from `npm run build:addon`. Headers come from
// the running Node and from node-addon-api, so nothing is downloaded.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const buildDir = join(root, 'build', 'addon');

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.error) {
    console.error(`threadbank: could not run ${command}: ${result.error.message}`);
    console.error('threadbank: the native addon needs cmake, a C++17 compiler and nlohmann-json (apt install cmake g++ nlohmann-json3-dev)');
    process.exit(1);
  }
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const generator = spawnSync('ninja', ['--version']).status === 0 ? ['-G', 'Ninja'] : [];
if (!existsSync(join(buildDir, 'CMakeCache.txt'))) {
  run('cmake', [
    '-S', root,
    '-B', buildDir,
    ...generator,
    '-DCMAKE_BUILD_TYPE=Release',
    '-DTHREADBANK_BUILD_NODE=ON',
    '-DTHREADBANK_BUILD_TESTS=OFF',
    '-DTHREADBANK_BUILD_BENCH=OFF',
  ]);
}
run('cmake', ['--build', buildDir, '--parallel', '2']);
