// Example worker: text and JSON work.
//   submitRequest('wordCount', { text: 'a b  c' })  -> { words: 3 }
//   submitRequest('stringify', {})                  -> { length: ... }
import { defineWorker } from 'threadbank/worker';

defineWorker({
  wordCount: ({ text }) => {
    if (typeof text !== 'string') {
      const error = new TypeError(`Expected a string for text but received ${typeof text}`);
      error.code = 'E_INVALID_PARAMS';
      throw error;
    }
    return { words: text.split(/\s+/).filter(Boolean).length };
  },
  // The shape of a common pool benchmark: 1,000 small JSON.stringify calls. The total length
  // is returned so the work is used and no optimiser can drop it.
  stringify: ({ count = 1000 } = {}) => {
    let length = 0;
    for (let i = 0; i < count; i++) length += JSON.stringify({ a: i }).length;
    return { length };
  },
});
