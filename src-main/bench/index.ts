// `npm run bench`: runs every benchmark of the project on the active backend and prints one JSON
// object. Figures go into docs/benchmarks.md beside the PyTorch reference measured in the same sitting.
import os from 'node:os';
import { initEngine, tf } from '../engine/backend.js';

type Bench = () => Promise<{ run: () => Promise<Record<string, unknown>>; table?: (result: Record<string, unknown>) => string }>;

/** Each benchmark is one file exporting `run()`, and `table()` when its result reads better as one (printed on stderr); the name is the key in the output. */
export const BENCHMARKS: Record<string, Bench> = {
  tokenizer: () => import('./tokenizer.js'),
  'gpt2-forward': () => import('./gpt2-forward.js'),
  attention: () => import('./attention.js'),
  'sae-train': () => import('./sae-train.js'),
  family: () => import('./family.js'),
  harvest: () => import('./harvest.js'),
  'feature-query': () => import('./feature-query.js'),
  umap: () => import('./umap.js'),
  'lm-train': () => import('./lm-train.js'),
  'train-memory': () => import('./train-memory.js'),
  'latent-matching': () => import('./latent-matching.js'),
  recovery: () => import('./recovery.js'),
};

export async function runBenchmarks(only?: string[]): Promise<Record<string, unknown>> {
  const engine = await initEngine();
  const names = only?.length ? only : Object.keys(BENCHMARKS);
  for (const name of names) {
    if (!BENCHMARKS[name]) throw new Error(`unknown benchmark "${name}": expected one of ${Object.keys(BENCHMARKS).join(', ')}`);
  }
  const results: Record<string, unknown> = {};
  for (const name of names) {
    process.stderr.write(`bench: ${name}…\n`);
    const started = performance.now();
    const bench = await BENCHMARKS[name]();
    results[name] = { ...(await bench.run()), wall_s: round((performance.now() - started) / 1000) };
    if (bench.table) process.stderr.write(`${bench.table(results[name] as Record<string, unknown>)}\n`);
  }
  return {
    date: new Date().toISOString(),
    machine: { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, memory_gib: round(os.totalmem() / 2 ** 30) },
    node: process.version,
    tfjs: tf.version.tfjs,
    backend: engine.backend,
    backend_package: engine.package,
    results,
  };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
