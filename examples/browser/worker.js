// The dashboard's script bank. Served without a bundler, so it imports the built module by
// path; in a bundled app this would be `import { defineWorker } from 'threadbank/worker'`.
import { defineWorker } from '/dist/browser/worker-browser.js';

defineWorker({
  square: ({ n }) => ({ result: n * n }),
  slowSquare: async ({ n, ms }) => {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return { result: n * n };
  },
});
