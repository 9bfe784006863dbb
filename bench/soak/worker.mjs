import { defineWorker } from 'threadbank/worker';

defineWorker({ add: ({ a, b }) => ({ result: a + b }) });
