// threadbank script bank worker for the Node benchmarks.
import { defineWorker } from 'threadbank/worker';

import { add, burn, jsonLoop } from './handlers.mjs';

defineWorker({ add, burn, jsonLoop });
