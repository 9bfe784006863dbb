#!/usr/bin/env node
// threadbank command line: `threadbank new-worker <name> [--dir <dir>] [--force]`.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HELP = `Usage:
  threadbank new-worker <name> [--dir <dir>] [--force]   write <dir>/<name>.js from the worker template
  threadbank --help`;

function fail(message) {
  console.error(`threadbank: ${message}\n\n${HELP}`);
  process.exit(1);
}

const args = process.argv.slice(2);
if (args.length === 0 || args.includes('--help') || args.includes('-h')) {
  console.log(HELP);
  process.exit(args.length === 0 ? 1 : 0);
}
const [command, name, ...rest] = args;
if (command !== 'new-worker') fail(`unknown command ${JSON.stringify(command)}`);
if (name === undefined || !/^[A-Za-z0-9_-]+$/.test(name)) {
  fail(`expected a worker name of letters, digits, _ or - but received ${JSON.stringify(name)}`);
}
let dir = process.cwd();
let force = false;
for (let i = 0; i < rest.length; i++) {
  if (rest[i] === '--force') force = true;
  else if (rest[i] === '--dir' && rest[i + 1] !== undefined) dir = resolve(rest[++i]);
  else fail(`unexpected argument ${JSON.stringify(rest[i])}`);
}

const template = join(dirname(fileURLToPath(import.meta.url)), '..', 'worker-scripts', 'template.js');
const target = join(dir, `${name}.js`);
if (existsSync(target) && !force) fail(`${target} exists; pass --force to overwrite it`);
mkdirSync(dir, { recursive: true });
writeFileSync(target, readFileSync(template, 'utf8'));
const shown = relative(process.cwd(), target) || target;
console.log(`wrote ${shown}
register it as a bank:
  const manager = await createWorkerManager({
    banks: [{ bankId: '${name}', script: new URL('./${shown.replace(/\\/g, '/')}', import.meta.url), workerCount: 2 }],
  });
  await manager.submitRequest('echo', { hello: 'world' });`);
