import { describe, expect, it } from 'vitest';
import { DEFAULT_LOGIT_OPTIONS, logitEffects } from '../../../src-main/features/logit-effects.js';
import { startLogitPool } from '../../../src-main/features/logit-pool.js';
import { onnxLogitRunner } from '../../../src-main/features/logit-onnx.js';
import { loadOnnxRuntime } from '../../../src-main/engine/onnx.js';
import type { LogitRecord } from '../../../src-main/store/records.js';
import { tiedRows } from '../../../src-main/features/unembedding.js';
import { seededRandom } from '../../../src-shared/random.js';

describe('logitEffects', () => {
  it('equals W_dec · diag(γ) · W_Uᵀ, with the top tokens on each side and a histogram of all of them', async () => {
    const random = seededRandom(5);
    const dSae = 5, dModel = 6, vocab = 30;
    const wDec = Float32Array.from({ length: dSae * dModel }, () => random() - 0.5);
    const gamma = Float32Array.from({ length: dModel }, () => 0.5 + random());
    const wte = Float32Array.from({ length: vocab * dModel }, () => random() - 0.5);
    const records = [];
    for await (const block of logitEffects(wDec, dSae, { gamma, wte, vocab, dModel, tied: null }, (id) => `t${id}`, { top: 3, histogramBins: 4, block: 2 })) records.push(...block);
    expect(records.map((r) => r.latent)).toEqual([0, 1, 2, 3, 4]);
    for (const r of records) {
      const effects = Array.from({ length: vocab }, (_, v) => {
        let s = 0;
        for (let j = 0; j < dModel; j++) s += wDec[r.latent * dModel + j] * gamma[j] * wte[v * dModel + j];
        return { id: v, value: s };
      });
      const sorted = [...effects].sort((a, b) => b.value - a.value);
      expect(r.positive.map((t) => t.id)).toEqual(sorted.slice(0, 3).map((t) => t.id));
      expect(r.negative.map((t) => t.id)).toEqual(sorted.slice(-3).reverse().map((t) => t.id));
      expect(r.positive[0].token).toBe(`t${sorted[0].id}`);
      expect(r.positive[0].value).toBeCloseTo(sorted[0].value, 5);
      expect(r.negative[0].value).toBeCloseTo(sorted[vocab - 1].value, 5);
      expect(r.histogram.lo).toBeCloseTo(sorted[vocab - 1].value, 5);
      expect(r.histogram.hi).toBeCloseTo(sorted[0].value, 5);
      expect(r.histogram.counts.reduce((a, b) => a + b, 0)).toBe(vocab);
    }
  });

  it('leaves tokens that share one unembedding row out of the top tokens and the histogram', async () => {
    const random = seededRandom(9);
    const dSae = 3, dModel = 4, vocab = 12;
    const wDec = Float32Array.from({ length: dSae * dModel }, () => random() - 0.5);
    const gamma = new Float32Array(dModel).fill(1);
    const wte = Float32Array.from({ length: vocab * dModel }, () => random() - 0.5);
    // Tokens 2, 5 and 9 share one row, as the tokens absent from an lm train corpus do; make it the
    // row every latent promotes most and demotes most, so only the mask keeps it out.
    for (const t of [2, 5, 9]) for (let j = 0; j < dModel; j++) wte[t * dModel + j] = j === 0 ? 50 : 0;
    wDec.set([1, 0, 0, 0], 0);
    wDec.set([-1, 0, 0, 0], dModel);
    const tied = tiedRows(wte, vocab, dModel);
    expect(tied && [...tied.keys()].filter((t) => tied[t])).toEqual([2, 5, 9]);
    const records = [];
    for await (const block of logitEffects(wDec, dSae, { gamma, wte, vocab, dModel, tied }, String, { top: 4, histogramBins: 3 })) records.push(...block);
    for (const r of records) {
      for (const t of [...r.positive, ...r.negative]) expect([2, 5, 9]).not.toContain(t.id);
      expect(r.histogram.counts.reduce((a, b) => a + b, 0)).toBe(vocab - 3);
    }
    expect(tiedRows(Float32Array.from({ length: 8 }, (_, i) => i), 2, 4)).toBeNull();
  });

  it('gives the same records, in order, from worker threads as from this thread', async () => {
    const random = seededRandom(11);
    const dSae = 23, dModel = 8, vocab = 300;
    const wDec = Float32Array.from({ length: dSae * dModel }, () => random() - 0.5);
    const unembedding = { gamma: Float32Array.from({ length: dModel }, () => 0.5 + random()), wte: Float32Array.from({ length: vocab * dModel }, () => random() - 0.5), vocab, dModel, tied: null };
    const options = { ...DEFAULT_LOGIT_OPTIONS, top: 4, block: 5 };
    const local = [];
    for await (const block of logitEffects(wDec, dSae, unembedding, String, options)) local.push(...block);
    const pool = await startLogitPool(unembedding, options, 2);
    const pooled = [];
    try {
      for await (const block of logitEffects(wDec, dSae, unembedding, String, options, pool)) pooled.push(...block);
    } finally {
      await pool.dispose();
    }
    expect(pooled.map((r) => r.latent)).toEqual(Array.from({ length: dSae }, (_, i) => i));
    expect(pooled).toEqual(local);
    // The caller's decoder is still whole: the rows were copied before going to a worker.
    expect(wDec.length).toBe(dSae * dModel);
  });

  it('gives the same tokens, and effects and histograms to float rounding, on ONNX Runtime as on tfjs', async () => {
    const ort = loadOnnxRuntime();
    if (!('runtime' in ort)) throw new Error(ort.error);
    const random = seededRandom(12);
    const dSae = 19, dModel = 8, vocab = 200;
    const wDec = Float32Array.from({ length: dSae * dModel }, () => random() - 0.5);
    const wte = Float32Array.from({ length: vocab * dModel }, () => random() - 0.5);
    // Two tokens tied to one row, which both runtimes must leave out.
    wte.copyWithin(7 * dModel, 3 * dModel, 4 * dModel);
    const unembedding = { gamma: Float32Array.from({ length: dModel }, () => 0.5 + random()), wte, vocab, dModel, tied: tiedRows(wte, vocab, dModel) };
    const options = { ...DEFAULT_LOGIT_OPTIONS, top: 5, block: 6 };
    const local: LogitRecord[] = [];
    for await (const block of logitEffects(wDec, dSae, unembedding, String, options)) local.push(...block);
    const runner = await onnxLogitRunner(ort.runtime, unembedding, options);
    const onnx: LogitRecord[] = [];
    try {
      for await (const block of logitEffects(wDec, dSae, unembedding, String, options, runner)) onnx.push(...block);
    } finally {
      await runner.dispose();
    }
    expect(onnx.map((r) => r.latent)).toEqual(local.map((r) => r.latent));
    onnx.forEach((r, i) => {
      expect(r.positive.map((t) => t.id)).toEqual(local[i].positive.map((t) => t.id));
      expect(r.negative.map((t) => t.id)).toEqual(local[i].negative.map((t) => t.id));
      for (const t of [...r.positive, ...r.negative]) expect([3, 7]).not.toContain(t.id);
      r.positive.forEach((t, j) => expect(t.value).toBeCloseTo(local[i].positive[j].value, 5));
      expect(r.histogram.lo).toBeCloseTo(local[i].histogram.lo, 5);
      expect(r.histogram.hi).toBeCloseTo(local[i].histogram.hi, 5);
      expect(r.histogram.counts.reduce((a, b) => a + b, 0)).toBe(vocab - 2);
    });
  });

  it('names the worker and the reason when a logit-effects worker cannot start', async () => {
    const unembedding = { gamma: new Float32Array(4), wte: new Float32Array(8), vocab: 2, dModel: 4, tied: null };
    await expect(startLogitPool(unembedding, DEFAULT_LOGIT_OPTIONS, 2, 'gpu')).rejects.toThrow(/logit-effects worker \d of 2 failed to start: backend "gpu" cannot run/);
  });

  it('rejects a decoder whose width is not d_model', async () => {
    const run = logitEffects(new Float32Array(10), 2, { gamma: new Float32Array(4), wte: new Float32Array(8), vocab: 2, dModel: 4, tied: null }, String);
    await expect(run.next()).rejects.toThrow(/expected d_sae × d_model = 2 × 4/);
  });
});
