// The benchmark's jsonLoop, timed inside the worker; `stats` returns and resets the sum.
import { jsonLoop } from '../../node/workers/handlers.mjs';

let ms = 0;
let n = 0;
export const handlers = {
  jsonLoop: (data) => {
    const start = performance.now();
    const result = jsonLoop(data);
    ms += performance.now() - start;
    n++;
    return result;
  },
  stats: () => {
    const out = { ms, n };
    ms = 0;
    n = 0;
    return out;
  },
};
