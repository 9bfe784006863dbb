// Example worker: text and JSON work.
import { defineWorker } from 'threadbank/worker';

defineWorker({
  wordCount: ({ text }) => ({ words: text.split(/\s+/).filter(Boolean).length }),
  // The shape of a common pool benchmark: 1,000 small JSON.stringify calls.
  stringify: () => {
    let length = 0;
    for (let i = 0; i < 1000; i++) length += JSON.stringify({ a: i }).length;
    return { length };
  },
});
