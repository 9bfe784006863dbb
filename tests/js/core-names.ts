// The name tables and wire layout the compiled cores export (generated from their enums and
// bindings/shared/views.h): the addon's, and the wasm builds' with and without threads.
import { createRequire } from 'node:module';
import * as path from 'node:path';

import type { CoreModule } from '../../dist/cjs/binding.js';
import { loadWasmCore } from '../../dist/cjs/wasm/load-node.js';

const require = createRequire(import.meta.url);
const addon = require(path.resolve(__dirname, '../../build/addon/threadbank.node')) as CoreModule;
export const errorCodes = addon.errorCodes;
export const eventTypes = addon.eventTypes;
/** Each loaded core's `wire`, by the backend it serves. */
export const wires: [string, unknown][] = [
  ['node-addon', addon.wire],
  ['wasm-threads', (await loadWasmCore(true)).wire],
  ['wasm-nothreads', (await loadWasmCore(false)).wire],
];
