// No pool: workload e's floor, a bare worker_threads worker that answers each message.
import { parentPort } from 'node:worker_threads';

import { add } from './handlers.mjs';

parentPort.on('message', (params) => parentPort.postMessage(add(params)));
