import { defineConfig } from 'vitest/config';

// Unit and integration tests mirror the source tree under test/. Every test file runs against the
// tensor backend chosen by src-main/engine/backend.ts (wasm on a machine without tfjs-node).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
