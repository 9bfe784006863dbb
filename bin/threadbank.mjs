#!/usr/bin/env node
// threadbank command line. Plain JavaScript with no dependencies, so `npx threadbank` works
// straight from the installed package without a build. Arguments are parsed with
// node:util's parseArgs (strict: an unknown option or a missing value is a usage error).
//
//   threadbank new-worker <name> [--dir <dir>] [--force] [--typescript]
//   threadbank env [--json]
//   threadbank --help | --version
//
// Exit codes: 0 done, 1 usage error (bad arguments, or a file that would be overwritten),
// 2 `env` could not load the package's build.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const NAME = /^[a-zA-Z0-9_-]+$/;

const HELP = `Usage:
  threadbank new-worker <name> [--dir <dir>] [--force] [--typescript]
      Writes <dir>/<name>.js (default dir: the current directory) from the worker
      template, a script that defines actions with defineWorker(). <name> may hold
      letters, digits, _ and -. An existing file is kept unless --force is given.
      --typescript writes <name>.ts instead, with typed handlers whose type
      (typeof handlers) types a client: manager.bank<typeof handlers>('<name>').
  threadbank env [--json]
      Reports the environment: which build of the core a manager uses here (the
      native addon, or WebAssembly with or without threads) and why, the threads
      available, and the Node version, platform, architecture and libc.
  threadbank --help       Shows this text.
  threadbank --version    Shows the installed version.`;

/** Exits with 1; the usage text is shown when the command line itself was wrong. */
function usageError(message, { showHelp = true } = {}) {
  console.error(showHelp ? `threadbank: ${message}\n\n${HELP}` : `threadbank: ${message}`);
  process.exit(1);
}

/** parseArgs in strict mode, its errors (unknown option, missing value) as usage errors. */
function parse(command, args, options, maxPositionals) {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (error) {
    usageError(`${error.message.split('\n')[0]} (${command})`);
  }
  if (parsed.positionals.length > maxPositionals) {
    usageError(`expected at most ${maxPositionals} argument${maxPositionals === 1 ? '' : 's'} for ${command} but received ${parsed.positionals.map((p) => JSON.stringify(p)).join(', ')}`);
  }
  return parsed;
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
  const { values, positionals } = parse('new-worker', args, { dir: { type: 'string' }, force: { type: 'boolean' }, typescript: { type: 'boolean' } }, 1);
  if (values.help) return console.log(HELP);
  const [name] = positionals;
  if (name === undefined) usageError('expected a worker name, e.g. `threadbank new-worker resize`');
  if (!NAME.test(name)) usageError(`expected a worker name of letters, digits, _ or - but received ${JSON.stringify(name)}`);
  if (values.dir === '') usageError('expected a directory after --dir');
  const dir = resolve(values.dir ?? process.cwd());
  const force = values.force === true;
  const typescript = values.typescript === true;
  const target = join(dir, `${name}.${typescript ? 'ts' : 'js'}`);
  if (existsSync(target) && !force) usageError(`${target} already exists; pass --force to overwrite it`, { showHelp: false });
  const template = readFileSync(join(packageRoot, 'worker-scripts', typescript ? 'template.ts' : 'template.js'), 'utf8');
  mkdirSync(dir, { recursive: true });
  // 'wx' fails rather than overwrite a file created since the check above.
  writeFileSync(target, template, { flag: force ? 'w' : 'wx' });

  const shown = relative(process.cwd(), target) || target;
  // The script a bank loads is JavaScript: a .ts worker is registered by its compiled .js name.
  const fromHere = `./${shown.split(sep).join('/')}`.replace(/\.ts$/, '.js');
  const lines = [
    `${force ? 'wrote (overwriting)' : 'wrote'} ${shown}: a worker script with the actions echo, countTo, zeros and checkPositive.`,
    '',
    'Register it as a bank (from a module in this directory):',
    '',
    "  import { createWorkerManager } from 'threadbank';",
  ];
  if (typescript) lines.push(`  import type { handlers } from '${fromHere}';`);
  lines.push(
    '  const manager = await createWorkerManager({',
    '    banks: [',
    '      // Node: a path or file URL',
    `      { bankId: '${name}', script: new URL('${fromHere}', import.meta.url), workerCount: 2 },`,
    '      // Browser (Vite and other bundlers follow this form):',
    `      // { bankId: '${name}', script: () => new Worker(new URL('${fromHere}', import.meta.url), { type: 'module' }) },`,
    '    ],',
    '  });',
  );
  if (typescript) {
    lines.push(
      `  const ${camel(name)} = manager.bank<typeof handlers>('${name}'); // action names, params and results checked`,
      `  console.log(await ${camel(name)}.submit('countTo', { n: 100_000 }));`,
      '',
      `note: compile ${shown} to JavaScript before Node loads it (a bundler compiles it for browsers).`,
    );
  } else {
    lines.push("  console.log(await manager.submitRequest('echo', { hello: 'world' }));");
    // Bundlers read the file as a module whatever package.json says; Node does not.
    if (packageType(dir) !== 'module') {
      lines.push(
        '',
        `note: no package.json with "type": "module" applies to ${shown}, so Node would load it as`,
        `CommonJS and fail on its import; rename it to ${name}.mjs or set "type": "module".`,
      );
    }
  }
  console.log(lines.join('\n'));
}

/** A JavaScript identifier for a worker name: resize-image -> resizeImage. */
function camel(name) {
  const id = name.replace(/[-_]+([a-zA-Z0-9])/g, (_, c) => c.toUpperCase()).replace(/[-_]/g, '');
  return /^[0-9]/.test(id) || id === '' ? `worker${id}` : id;
}

async function env(args) {
  const { values } = parse('env', args, { json: { type: 'boolean' } }, 0);
  if (values.help) return console.log(HELP);
  let environment;
  try {
    // The package's own build, as `import 'threadbank'` loads it: the report is about it.
    ({ environment } = await import(pathToFileURL(join(packageRoot, 'dist', 'esm', 'compat', 'index.mjs')).href));
  } catch (error) {
    console.error(`threadbank: could not load the package's build (${error.message.split('\n')[0]}); run \`npm run build:js\` in a checkout`);
    process.exit(2);
  }
  const report = environment();
  if (values.json) return console.log(JSON.stringify(report, null, 2));
  const rows = [
    ['backend', report.backend],
    ['why', report.reason],
    ['native addon', report.addon.loaded ? 'loaded' : `not loaded: ${report.addon.error ?? ''}`],
    ['wasm threads', report.wasmThreads ? 'available' : 'unavailable'],
    ['parallelism', `${report.parallelism} threads`],
    ['node', report.nodeVersion],
    ['platform', [report.platform, report.arch, report.libc].filter(Boolean).join(' ')],
  ];
  console.log(rows.map(([key, value]) => `${key.padEnd(13)} ${value}`).join('\n'));
}

const [command, ...rest] = process.argv.slice(2);
if (command === undefined) usageError('expected a command');
else if (command === '--help' || command === '-h' || command === 'help') console.log(HELP);
else if (command === '--version' || command === '-v') console.log(JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')).version);
else if (command === 'new-worker') newWorker(rest);
else if (command === 'env') await env(rest);
else usageError(`unknown command ${JSON.stringify(command)}`);
