import { defineConfig } from 'vitest/config';

// The install-from-tarball suite: slow (it compiles the addon once), so it runs alone.
export default defineConfig({
  test: {
    include: ['tests/package/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 240_000,
  },
});
