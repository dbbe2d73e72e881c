// Starts the tensor engine in the compute process on first use, so listing a workspace or opening a
// feature page never pays for loading tfjs.
import type { EngineAccess } from './handler.js';

export function lazyEngine(): EngineAccess {
  let backend: string | null = null;
  let starting: Promise<string> | null = null;
  return {
    backend: () => backend,
    start: () =>
      (starting ??= import('../engine/backend.js').then(async ({ initEngine }) => {
        backend = (await initEngine()).backend;
        return backend;
      })),
  };
}
