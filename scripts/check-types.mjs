#!/usr/bin/env node
// The package's types as its users' tools see them, one check per line of the report:
//   - tests/types/: the shipped declarations in a Node project without DOM types (lib es2022,
//     @types/node, skipLibCheck off, strict), with `@ts-expect-error` lines that must stay errors;
//   - publint over the packed tarball, warnings counted as errors;
//   - arethetypeswrong over the same tarball (node10, node16 from CJS and ESM, bundler).
// Writes build/types.json as { passed, failed, skipped } for scripts/run-tests.mjs. Expects
// dist/ built (scripts/build-js.mjs). publint and attw run at pinned versions through npx.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PUBLINT = 'publint@0.3.25';
const ATTW = '@arethetypeswrong/cli@0.18.5';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const report = join(root, 'build', 'types.json');
const counts = { passed: 0, failed: 0, skipped: 0 };

function check(name, command, args, cwd = root) {
  console.log(`--- ${name}: ${[command, ...args].join(' ')}`);
  const result = spawnSync(command, args, { cwd, stdio: 'inherit', env: { ...process.env, npm_config_loglevel: 'error', npm_config_update_notifier: 'false' } });
  const ok = result.status === 0;
  console.log(`--- ${name}: ${ok ? 'passed' : `failed (exit ${result.error?.message ?? result.status ?? result.signal})`}`);
  counts[ok ? 'passed' : 'failed'] += 1;
  return ok;
}

check('declarations (tests/types)', process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tests', 'types', 'tsconfig.json')]);

// --ignore-scripts: dist/ and the wasm builds are already built; prepack would build them again.
const packDir = mkdtempSync(join(tmpdir(), 'threadbank-types-'));
try {
  if (check('npm pack', 'npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', packDir])) {
    const tarball = join(packDir, readdirSync(packDir).find((f) => f.endsWith('.tgz')));
    check('publint', 'npx', ['-y', PUBLINT, 'run', tarball, '--strict']);
    check('arethetypeswrong', 'npx', ['-y', ATTW, tarball]);
  }
} finally {
  rmSync(packDir, { recursive: true, force: true });
}

mkdirSync(dirname(report), { recursive: true });
writeFileSync(report, JSON.stringify(counts) + '\n');
console.log(`types: ${counts.passed} passed, ${counts.failed} failed`);
process.exit(counts.failed > 0 ? 1 : 0);
