// The name tables and wire layout the compiled core exports, from the wasm build the page loads.
import { loadBrowserCore } from '../../dist/browser/browser/load.js';

const core = await loadBrowserCore();
export const errorCodes = core.errorCodes;
export const eventTypes = core.eventTypes;
/** The loaded core's `wire`, by the backend it serves. */
export const wires: [string, unknown][] = [['chromium', core.wire]];
