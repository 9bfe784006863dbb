import { defineConfig } from 'vitest/config';

// The install-from-tarball suite: slow (packing runs the builds), so it runs alone.
export default defineConfig({
  test: {
    include: ['tests/package/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 600_000,
  },
});
