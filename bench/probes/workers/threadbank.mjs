import { defineWorker } from 'threadbank/worker';

import { handlers } from './timed.mjs';

defineWorker(handlers);
