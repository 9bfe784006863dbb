// Example worker: small numeric actions.
//   submitRequest('add', { a: 1, b: 2 })            -> { result: 3 }
//   submitRequest('fibonacci', { n: 50 })           -> { result: 12586269025 }
//   submitRequest('sum', { values: [1, 2, 3] })     -> { result: 6 }
//   submitRequest('sum', { values: float64Array }, { transfer: [float64Array.buffer] })
import { defineWorker } from 'threadbank/worker';

/** Fails the request with E_INVALID_PARAMS, naming what was expected. */
function invalid(message) {
  const error = new TypeError(message);
  error.code = 'E_INVALID_PARAMS';
  return error;
}

// Past 78 a double cannot hold the exact value.
const MAX_EXACT_FIBONACCI = 78;

function fibonacci(n) {
  let a = 0;
  let b = 1;
  for (let i = 0; i < n; i++) [a, b] = [b, a + b];
  return a;
}

defineWorker({
  add: ({ a, b }) => {
    if (typeof a !== 'number' || typeof b !== 'number') throw invalid(`Expected numbers for a and b but received ${typeof a} and ${typeof b}`);
    return { result: a + b };
  },
  fibonacci: ({ n }) => {
    if (!Number.isInteger(n) || n < 0 || n > MAX_EXACT_FIBONACCI) {
      throw invalid(`Expected an integer from 0 to ${MAX_EXACT_FIBONACCI} for n but received ${n}`);
    }
    return { result: fibonacci(n) };
  },
  // An array or a typed array (send a large one with transfer so it is not copied).
  sum: ({ values }) => {
    if (!Array.isArray(values) && !ArrayBuffer.isView(values)) throw invalid(`Expected an array or typed array for values but received ${typeof values}`);
    let result = 0;
    for (let i = 0; i < values.length; i++) result += values[i];
    return { result };
  },
});
