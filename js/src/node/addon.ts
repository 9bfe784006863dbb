/**
 * Loads the compiled Node-API addon. It is built at install time (scripts/build-addon.mjs)
 * into build/addon/ inside the package; THREADBANK_ADDON points elsewhere for development.
 */
import * as path from 'node:path';

import type { CoreModule } from '../binding.js';
import { ThreadbankError } from '../errors.js';

let loaded: CoreModule | undefined;

export function addonPath(): string {
  // dist/cjs/node/addon.js -> <package root>/build/addon/threadbank.node
  return process.env.THREADBANK_ADDON ?? path.resolve(__dirname, '..', '..', '..', 'build', 'addon', 'threadbank.node');
}

export function loadAddon(): CoreModule {
  if (loaded) return loaded;
  const file = addonPath();
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require(file) as CoreModule;
  } catch (error) {
    throw new ThreadbankError(
      'E_INTERNAL',
      `Expected the threadbank native addon at ${file} but it could not be loaded (${(error as Error).message}). ` +
        'Reinstall the package with cmake and a C++17 compiler available, or run `npm run build:addon`.',
      { cause: error },
    );
  }
  return loaded;
}
