#!/usr/bin/env node
// threadbank command line. Plain JavaScript with no dependencies, so `npx threadbank` works
// straight from the installed package without a build.
//
//   threadbank new-worker <name> [--dir <dir>] [--force]
//   threadbank --help | --version
//
// Exit codes: 0 done, 1 usage error (bad arguments, or a file that would be overwritten).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const NAME = /^[a-zA-Z0-9_-]+$/;

const HELP = `Usage:
  threadbank new-worker <name> [--dir <dir>] [--force]
      Writes <dir>/<name>.js (default dir: the current directory) from the worker
      template, a script that defines actions with defineWorker(). <name> may hold
      letters, digits, _ and -. An existing file is kept unless --force is given.
  threadbank --help       Shows this text.
  threadbank --version    Shows the installed version.`;

/** Exits with 1; the usage text is shown when the command line itself was wrong. */
function usageError(message, { showHelp = true } = {}) {
  console.error(showHelp ? `threadbank: ${message}\n\n${HELP}` : `threadbank: ${message}`);
  process.exit(1);
}

/** Parses `new-worker` arguments: the name, then --dir <dir> / --dir=<dir> / --force. */
function parseNewWorker(args) {
  const options = { name: undefined, dir: process.cwd(), force: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--force') options.force = true;
    else if (arg === '--dir' || arg.startsWith('--dir=')) {
      const value = arg === '--dir' ? args[++i] : arg.slice('--dir='.length);
      if (value === undefined || value === '' || value.startsWith('--')) usageError('expected a directory after --dir');
      options.dir = resolve(value);
    } else if (arg.startsWith('-')) usageError(`unknown option ${JSON.stringify(arg)} for new-worker`);
    else if (options.name === undefined) options.name = arg;
    else usageError(`expected one worker name but also received ${JSON.stringify(arg)}`);
  }
  if (options.name === undefined) usageError('expected a worker name, e.g. `threadbank new-worker resize`');
  if (!NAME.test(options.name)) usageError(`expected a worker name of letters, digits, _ or - but received ${JSON.stringify(options.name)}`);
  return options;
}

/** The "type" of the package.json nearest to `dir`, or undefined if there is none. */
function packageType(dir) {
  for (let current = dir; ; current = dirname(current)) {
    const file = join(current, 'package.json');
    if (existsSync(file)) {
      try {
        return JSON.parse(readFileSync(file, 'utf8')).type ?? 'commonjs';
      } catch {
        return undefined;
      }
    }
    if (dirname(current) === current) return undefined;
  }
}

function newWorker(args) {
  const { name, dir, force } = parseNewWorker(args);
  const target = join(dir, `${name}.js`);
  if (existsSync(target) && !force) usageError(`${target} already exists; pass --force to overwrite it`, { showHelp: false });
  const template = readFileSync(join(packageRoot, 'worker-scripts', 'template.js'), 'utf8');
  mkdirSync(dir, { recursive: true });
  // 'wx' fails rather than overwrite a file created since the check above.
  writeFileSync(target, template, { flag: force ? 'w' : 'wx' });

  const shown = relative(process.cwd(), target) || target;
  const fromHere = `./${shown.split(sep).join('/')}`;
  const lines = [
    `${force ? 'wrote (overwriting)' : 'wrote'} ${shown}: a worker script with the actions echo, countTo, zeros and checkPositive.`,
    '',
    'Register it as a bank (from a module in this directory):',
    '',
    "  import { createWorkerManager } from 'threadbank';",
    '  const manager = await createWorkerManager({',
    '    banks: [',
    '      // Node: a path or file URL',
    `      { bankId: '${name}', script: new URL('${fromHere}', import.meta.url), workerCount: 2 },`,
    "      // Browser (Vite and other bundlers follow this form):",
    `      // { bankId: '${name}', script: () => new Worker(new URL('${fromHere}', import.meta.url), { type: 'module' }) },`,
    '    ],',
    '  });',
    "  console.log(await manager.submitRequest('echo', { hello: 'world' }));",
  ];
  // Bundlers read the file as a module whatever package.json says; Node does not.
  if (packageType(dir) !== 'module') {
    lines.push(
      '',
      `note: no package.json with "type": "module" applies to ${shown}, so Node would load it as`,
      `CommonJS and fail on its import; rename it to ${name}.mjs or set "type": "module".`,
    );
  }
  console.log(lines.join('\n'));
}

const [command, ...rest] = process.argv.slice(2);
if (command === undefined) usageError('expected a command');
else if (command === '--help' || command === '-h' || command === 'help') console.log(HELP);
else if (command === '--version' || command === '-v') console.log(JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')).version);
else if (command === 'new-worker') {
  if (rest.includes('--help') || rest.includes('-h')) console.log(HELP);
  else newWorker(rest);
} else usageError(`unknown command ${JSON.stringify(command)}`);
