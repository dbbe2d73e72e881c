import { defineConfig } from 'vitest/config';

// Unit and integration tests mirror the source tree under test/. Tests of Node code start the tensor
// backend chosen by src-main/engine/backend.ts (wasm where tfjs-node is absent); the renderer's pure
// code needs no tensor engine, so its project skips that start-up.
export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'main', include: ['test/main/**/*.test.ts', 'test/shared/**/*.test.ts'], setupFiles: ['test/setup.ts'] } },
      { extends: true, test: { name: 'renderer', include: ['test/renderer/**/*.test.ts'] } },
    ],
  },
});
