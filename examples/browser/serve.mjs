#!/usr/bin/env node
// Serves the dashboard from 127.0.0.1 with the COOP/COEP headers that make the page
// cross-origin isolated (pass --plain to see the build without threads).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { serve } from '../../tests/browser/serve.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const isolated = !process.argv.includes('--plain');
const portArg = process.argv.find((a) => a.startsWith('--port='));
const server = await serve(root, { isolated, port: portArg ? Number(portArg.slice(7)) : 8080 });
console.log(`threadbank dashboard: http://127.0.0.1:${server.address().port}/examples/browser/ (${isolated ? 'cross-origin isolated' : 'not isolated'}); Ctrl+C to stop`);
