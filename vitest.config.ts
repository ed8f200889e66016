import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    // Two cores: two test files at a time keeps the suite fast without oversubscribing.
    maxWorkers: 2,
  },
});
