#!/usr/bin/env node
// Entry point of the `sae-explorer` command: runs the TypeScript CLI through tsx's loader, so the
// package works straight after `npm install` with no build step.
import { spawnSync } from 'node:child_process';
import { register } from 'tsx/esm/api';

register();
const { CUDA_LIB_DIR_ENV, cudaLibraryFolderPending, withCudaLibraryFolder } = await import('../src-main/engine/cuda.ts');
if (cudaLibraryFolderPending()) {
  // The loader reads the library path only when a process starts: run again with the CUDA libraries
  // folder on it, so TensorFlow finds the libraries there.
  const env = withCudaLibraryFolder(process.env, process.env[CUDA_LIB_DIR_ENV]);
  const child = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env });
  process.exitCode = child.status ?? 1;
} else {
  const { main } = await import('../src-main/cli/main.ts');
  process.exitCode = await main(process.argv);
}
