// The name tables the compiled core exports (generated from its enums).
import { createRequire } from 'node:module';
import * as path from 'node:path';

const require = createRequire(import.meta.url);
const addon = require(path.resolve(__dirname, '../../build/addon/threadbank.node')) as { errorCodes: string[]; eventTypes: string[] };
export const errorCodes = addon.errorCodes;
export const eventTypes = addon.eventTypes;
