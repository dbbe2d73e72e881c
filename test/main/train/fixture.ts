// A tiny GPT-2 (2 layers, d 32, context 16) in a temp folder and small run configs on the embedded
// sotu corpus, shared by the trainer tests so each stays a few seconds.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadGpt2 } from '../../../src-main/model/load.js';
import type { Gpt2 } from '../../../src-main/model/gpt2.js';
import { createTinyModel } from '../../../src-main/model/tiny.js';
import { openSafetensors } from '../../../src-main/io/safetensors.js';

export const HOOK = 'blocks.0.hook_resid_post';

let modelDir: string | undefined;

export function tinyModelDir(): string {
  modelDir ??= createTinyModel(join(mkdtempSync(join(tmpdir(), 'train-model-')), 'tiny'), { layers: 2, dModel: 32, heads: 2, ctx: 16, seed: 1 });
  return modelDir;
}

export async function tinyModel(): Promise<Gpt2> {
  return loadGpt2(tinyModelDir());
}

export function tempOut(): string {
  return join(mkdtempSync(join(tmpdir(), 'train-out-')), 'family');
}

/** A run of 8 steps × 64 tokens on windows of 16 tokens; override per test. */
export function runConfig(out: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model: tinyModelDir(),
    hook: HOOK,
    latents: [64],
    k: 4,
    tokens: 512,
    batch: 64,
    context: 16,
    out,
    evalTokens: 15,
    logEvery: 2,
    checkpointEvery: 2,
    bufferBatches: 2,
    initTokens: 256,
    ...overrides,
  };
}

/** Every tensor of a SAELens folder's weights file. */
export function saeWeights(dir: string): Record<string, Float32Array> {
  const st = openSafetensors(join(dir, 'sae_weights.safetensors'));
  return Object.fromEntries(st.names().map((n) => [n, st.getFloat32(n)]));
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
