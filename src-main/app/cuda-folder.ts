// The "CUDA libraries folder" setting: where the user put the CUDA 11 / cuDNN 8 libraries that
// tfjs-node-gpu needs (pip wheels or a conda prefix, see `sae-explorer doctor`). The compute process
// gets it on its library path when it is spawned. SAE_EXPLORER_CUDA_LIB_DIR overrides the setting.
import path from 'node:path';
import { CUDA_LIB_DIR_ENV } from '../engine/cuda.js';
import { readSettings, updateSettings } from './settings.js';

/** The folder the compute process should get, or undefined for the system's libraries only. */
export function resolveCudaLibraryDir(userData: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env[CUDA_LIB_DIR_ENV] || readSettings(userData).cudaLibraryDir || undefined;
}

/** Remembers the folder; null forgets it. */
export function rememberCudaLibraryDir(userData: string, folder: string | null): void {
  updateSettings(userData, { cudaLibraryDir: folder === null ? undefined : path.resolve(folder) });
}
