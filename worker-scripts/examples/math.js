// Example worker: small numeric actions.
import { defineWorker } from 'threadbank/worker';

function fibonacci(n) {
  let a = 0;
  let b = 1;
  for (let i = 0; i < n; i++) [a, b] = [b, a + b];
  return a;
}

defineWorker({
  add: ({ a, b }) => ({ result: a + b }),
  fibonacci: ({ n }) => ({ result: fibonacci(n) }),
  sum: ({ values }) => ({ result: values.reduce((total, v) => total + v, 0) }),
});
