// The feature suites in headless Chromium, through Vitest's browser mode over playwright
// with Debian's Chromium (nothing is downloaded). THREADBANK_BROWSER_ISOLATED=1 serves
// every file with COOP/COEP, so the page is cross-origin isolated and loads the pthread
// build; without it the page is plain and loads the build without threads.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

import { playwright } from '@vitest/browser-playwright';
import { defineConfig, type Plugin } from 'vitest/config';

const isolated = process.env.THREADBANK_BROWSER_ISOLATED === '1';
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * Serves the wasm build (build/wasm-*) byte for byte, as a static server or a bundler's
 * output would. Vite's dev transforms are for source modules: on Emscripten's pthread worker
 * they add a static import (and Vitest a dynamic-import wrapper) that a classic worker
 * cannot run.
 */
function serveWasmBuildAsIs(): Plugin {
  const root = here('./');
  const types: Record<string, string> = { '.js': 'text/javascript', '.wasm': 'application/wasm' };
  return {
    name: 'threadbank-serve-wasm-build',
    configureServer(server) {
      server.middlewares.use((request, response, next) => {
        const path = decodeURIComponent((request.url ?? '').split('?')[0]!);
        if (!/^\/build\/wasm-(threads|nothreads)\/[^/]+$/.test(path)) return next();
        const file = normalize(join(root, path));
        if (!file.startsWith(root) || !existsSync(file)) return next();
        response.setHeader('Content-Type', types[extname(file)] ?? 'application/octet-stream');
        response.setHeader('Content-Length', statSync(file).size);
        if (isolated) {
          response.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
          response.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
        }
        createReadStream(file).pipe(response);
      });
    },
  };
}

export default defineConfig({
  plugins: [serveWasmBuildAsIs()],
  resolve: {
    // The suites import their backends, the core's name tables and the package by relative
    // path; in the browser those come from the browser build instead of the addon.
    alias: [
      { find: /^\.\/backends\.js$/, replacement: here('./tests/js/backends.browser.ts') },
      { find: /^\.\/core-names\.js$/, replacement: here('./tests/js/core-names.browser.ts') },
      // Values the suites import from the package (ThreadbankError) come from the browser build.
      { find: /^\.\.\/\.\.\/dist\/cjs\/index\.js$/, replacement: here('./dist/browser/browser.js') },
      { find: /^\.\.\/\.\.\/dist\/cjs\/wire\.js$/, replacement: here('./dist/browser/wire.js') },
    ],
  },
  server: {
    headers: isolated ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } : {},
  },
  test: {
    // The feature suites that take a backend. Suites of Node-only parts (the worker_threads
    // host, the CLI, test mode) stay in vitest.config.ts.
    include: ['routing', 'lifecycle', 'observation', 'errors', 'script-bank', 'chaos', 'hostile-workers', 'params-refusals', 'payload-limit', 'option-validation', 'shutdown-escalation', 'wire', 'peer-conventions', 'environment'].map(
      (name) => `tests/js/${name}.test.ts`,
    ),
    testTimeout: 20_000,
    hookTimeout: 20_000,
    browser: {
      enabled: true,
      headless: true,
      provider: playwright({
        launchOptions: {
          executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
          args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
        },
      }),
      instances: [{ browser: 'chromium' }],
      // A failure is reported as text; screenshots of a page with no UI tell nothing.
      screenshotFailures: false,
    },
  },
});
