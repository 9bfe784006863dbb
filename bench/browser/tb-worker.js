// threadbank script-bank worker. Pages served without a bundler cannot use bare specifiers
// in workers, so both the worker API and the handlers are imported by path; the handlers
// are the Node benchmark's own, so every library (here and in bench/node) runs the same code.
import { defineWorker } from '/dist/browser/worker-browser.js';
import { add } from '/bench/node/workers/handlers.mjs';

defineWorker({ add });
