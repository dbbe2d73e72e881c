// Top-k SAE training throughput on the active backend: d 768, n 16384, k 32, batch 4096 (the issue's
// target; PyTorch CPU with 2 threads does ~160–1000 tokens/s here), single-threaded and with latents
// sharded across worker threads, plus per-size step times for a family trained on the same batches.
// Inputs are random layer-normalised vectors: step time does not depend on what the activations mean,
// and no latent is dead (the default 10M-token window), so AuxK costs nothing here.
import os from 'node:os';
import { tf } from '../engine/backend.js';
import { createSae, validateSaeConfig } from '../sae/index.js';

export interface SaeTrainBenchOptions {
  dIn: number;
  dSae: number;
  k: number;
  batch: number;
  /** Timed steps after one warm-up step; the median is reported. */
  steps: number;
  /** Family sizes timed on the same batch. */
  family: number[];
  /** Worker threads for the sharded run; 1 skips it. */
  shards: number;
}

export const DEFAULT_OPTIONS: SaeTrainBenchOptions = {
  dIn: 768,
  dSae: 16384,
  k: 32,
  batch: 4096,
  steps: 3,
  family: [4096, 8192, 16384],
  shards: Math.min(2, os.availableParallelism()),
};

export async function run(options: Partial<SaeTrainBenchOptions> = {}): Promise<Record<string, number | string>> {
  const o = { ...DEFAULT_OPTIONS, ...options };
  const x = tf.tidy(() => {
    const raw = tf.randomNormal([o.batch, o.dIn], 0, 1, 'float32', 11);
    return raw.sub(raw.mean(1, true)).div(raw.sub(raw.mean(1, true)).square().mean(1, true).sqrt()) as tf.Tensor2D; // [batch, dIn]
  });
  const results: Record<string, number | string> = { d_in: o.dIn, d_sae: o.dSae, k: o.k, batch: o.batch, timed_steps: o.steps };
  try {
    const single = await medianStepSeconds(o, o.dSae, 1, x);
    results.step_s_single_thread = round(single);
    results.tokens_per_s_single_thread = Math.round(o.batch / single);
    let best = { shards: 1, seconds: single };
    if (o.shards > 1) {
      const sharded = await medianStepSeconds(o, o.dSae, o.shards, x);
      results[`step_s_${o.shards}_shards`] = round(sharded);
      results[`tokens_per_s_${o.shards}_shards`] = Math.round(o.batch / sharded);
      if (sharded < single) best = { shards: o.shards, seconds: sharded };
    }
    results.tokens_per_s = Math.round(o.batch / best.seconds);
    results.best_shards = best.shards;
    for (const dSae of o.family) {
      const seconds = dSae === o.dSae ? best.seconds : await medianStepSeconds(o, dSae, best.shards, x);
      results[`family_step_s_${dSae}`] = round(seconds);
    }
    results.family_step_s_total = round(o.family.reduce((sum, n) => sum + (results[`family_step_s_${n}`] as number), 0));
    results.note = 'family: every size steps on the same batch; the activations are computed once for all of them by the trainer';
  } finally {
    x.dispose();
  }
  return results;
}

async function medianStepSeconds(o: SaeTrainBenchOptions, dSae: number, shards: number, x: tf.Tensor2D): Promise<number> {
  const config = validateSaeConfig({ dIn: o.dIn, dSae, k: o.k, bPreInit: 'mean' });
  const sample = x.slice([0, 0], [Math.min(1024, o.batch), o.dIn]);
  const sae = await createSae(config, { sample, shards });
  sample.dispose();
  try {
    await sae.step(x);
    const times: number[] = [];
    for (let s = 0; s < o.steps; s++) {
      const started = performance.now();
      await sae.step(x);
      times.push((performance.now() - started) / 1000);
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)];
  } finally {
    await sae.dispose();
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
