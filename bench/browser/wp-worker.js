// workerpool worker. A module worker (the pool passes workerOpts: { type: 'module' }) rather
// than workerpool's usual classic one with importScripts, so it can import the same ES
// module handlers as the other libraries. workerpool's UMD build assigns
// globalThis.workerpool when neither CommonJS nor AMD is present, which holds here.
import '/node_modules/workerpool/dist/workerpool.min.js';
import { add } from '/bench/node/workers/handlers.mjs';

globalThis.workerpool.worker({ add });
