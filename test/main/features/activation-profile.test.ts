import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../../src-main/engine/backend.js';
import { ActivationProfiles, DEFAULT_PROFILE, liveLatents, profileDims, TokenProjection, type ProfileConfig } from '../../../src-main/features/activation-profile.js';
import type { ActivationBatch } from '../../../src-main/features/batch.js';
import { umapLayout } from '../../../src-main/features/umap.js';
import { fillNormal, seededRandom } from '../../../src-shared/random.js';

beforeAll(async () => {
  await initEngine();
});

/**
 * A planted corpus: every token has a topic (one of `groups`); on it `perToken` latents of that
 * topic's group fire, and one latent of any group as background. Latent l belongs to group
 * l % groups. The last latent never fires. Returns the dense activations [tokens, latents].
 */
function plantedActivations(groups: number, perGroup: number, tokens: number, perToken: number, seed: number): { acts: Float32Array; latents: number; labels: Int32Array } {
  const latents = groups * perGroup + 1;
  const random = seededRandom(seed);
  const acts = new Float32Array(tokens * latents);
  for (let t = 0; t < tokens; t++) {
    const topic = Math.floor(random() * groups);
    for (let j = 0; j < perToken; j++) acts[t * latents + topic + groups * Math.floor(random() * perGroup)] = 0.5 + 2 * random();
    acts[t * latents + Math.floor(random() * groups * perGroup)] = 0.5 + random();
  }
  return { acts, latents, labels: Int32Array.from({ length: latents }, (_, l) => l % groups) };
}

/** The dense activations as top-k batches of `rows` tokens (the harvest's sparse code: the k largest per token). */
function sparseBatches(acts: Float32Array, latents: number, rows: number, k: number): ActivationBatch[] {
  const tokens = acts.length / latents;
  const batches: ActivationBatch[] = [];
  for (let first = 0; first < tokens; first += rows) {
    const n = Math.min(rows, tokens - first);
    const values = new Float32Array(n * k);
    const indices = new Int32Array(n * k);
    for (let r = 0; r < n; r++) {
      const row = Array.from(acts.subarray((first + r) * latents, (first + r + 1) * latents));
      const top = row.map((v, l) => [v, l] as const).sort((a, b) => b[0] - a[0]).slice(0, k);
      top.forEach(([v, l], j) => {
        values[r * k + j] = v;
        indices[r * k + j] = l;
      });
    }
    batches.push({ tokens: new Int32Array(n), ctx: rows, dSae: latents, firstWindow: first / rows, sparse: { values, indices, k } });
  }
  return batches;
}

/** Profiles in `dims` dims (default config.dims) of a projection of `projectionDims` (default dims). */
function profilesOf(batches: ActivationBatch[], latents: number, config: ProfileConfig, dims = config.dims, projectionDims = dims): ActivationProfiles {
  const profiles = new ActivationProfiles(latents, new TokenProjection(config, projectionDims), dims);
  for (const b of batches) profiles.observe(b, b.firstWindow * b.ctx);
  return profiles;
}

function cosine(a: Float32Array, b: Float32Array): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return ab / Math.sqrt(aa * bb);
}

/** Each row of `x` [n, d] as a view. */
const rowsOf = (x: Float32Array, n: number, d: number) => Array.from({ length: n }, (_, i) => x.subarray(i * d, (i + 1) * d));

/** Mean fraction of each point's k nearest (by `similarity`, itself left out) that share its label. */
function knnPurity(n: number, labels: Int32Array, k: number, similarity: (i: number, j: number) => number): number {
  let same = 0;
  for (let i = 0; i < n; i++) {
    const order = Array.from({ length: n }, (_, j) => j).filter((j) => j !== i).sort((a, b) => similarity(i, b) - similarity(i, a));
    same += order.slice(0, k).filter((j) => labels[j] === labels[i]).length;
  }
  return same / (n * k);
}

/** A profile's activations over the tokens: column l of `acts` [tokens, latents]. */
function exactProfile(acts: Float32Array, latents: number, l: number): Float32Array {
  return Float32Array.from({ length: acts.length / latents }, (_, t) => acts[t * latents + l]!);
}

describe('activation profiles', () => {
  it('estimates the cosine of two latents\' activation profiles to about ±0.06 at 256 dims, none off by 0.25', () => {
    const { acts, latents } = plantedActivations(4, 10, 4000, 4, 1);
    const live = latents - 1;
    const profiles = profilesOf(sparseBatches(acts, latents, 63, 5), latents, DEFAULT_PROFILE);
    const projected = rowsOf(profiles.sums, latents, DEFAULT_PROFILE.dims);
    const exact = Array.from({ length: live }, (_, l) => exactProfile(acts, latents, l));
    const errors: number[] = [];
    for (let a = 0; a < live; a++) for (let b = a + 1; b < live; b++) errors.push(Math.abs(cosine(projected[a]!, projected[b]!) - cosine(exact[a]!, exact[b]!)));
    const mean = errors.reduce((s, e) => s + e, 0) / errors.length;
    console.log(`activation profile: ${errors.length} pairs, mean |error| ${mean.toFixed(4)}, max ${Math.max(...errors).toFixed(4)}`);
    // The estimate's standard deviation is about (1 − cos²)/√256 ≤ 0.0625, so the mean |error| near
    // cosine 0 is 0.0625·√(2/π) = 0.05, and 780 pairs stay within 4σ.
    expect(mean).toBeLessThan(0.06);
    expect(Math.max(...errors)).toBeLessThan(0.25);
    expect(profiles.tokens).toBe(4000);

    // Centred, the projections estimate the Pearson correlations of the profiles just as well.
    const centred = rowsOf(profiles.centred(), latents, DEFAULT_PROFILE.dims);
    const centre = (x: Float32Array) => {
      const mean = x.reduce((a, b) => a + b, 0) / x.length;
      return x.map((v) => v - mean);
    };
    const pearsonErrors: number[] = [];
    for (let a = 0; a < live; a++) for (let b = a + 1; b < live; b++) pearsonErrors.push(Math.abs(cosine(centred[a]!, centred[b]!) - cosine(centre(exact[a]!), centre(exact[b]!))));
    const pearsonMean = pearsonErrors.reduce((sum, e) => sum + e, 0) / pearsonErrors.length;
    console.log(`centred: mean |error| ${pearsonMean.toFixed(4)}, max ${Math.max(...pearsonErrors).toFixed(4)}`);
    expect(pearsonMean).toBeLessThan(0.06);
    expect(Math.max(...pearsonErrors)).toBeLessThan(0.25);
  });

  it('separates latents that fire on the same tokens, where their random decoder directions do not', async () => {
    const groups = 6;
    const { acts, latents, labels } = plantedActivations(groups, 20, 3000, 6, 2);
    const live = latents - 1;
    const profiles = profilesOf(sparseBatches(acts, latents, 63, 8), latents, DEFAULT_PROFILE);
    const d = 64;
    const decoder = fillNormal(new Float32Array(live * d), 1, seededRandom(3));
    const byActivation = rowsOf(profiles.sums, live, DEFAULT_PROFILE.dims);
    const byDecoder = rowsOf(decoder, live, d);
    const k = 10;
    const activationPurity = knnPurity(live, labels, k, (i, j) => cosine(byActivation[i]!, byActivation[j]!));
    const decoderPurity = knnPurity(live, labels, k, (i, j) => cosine(byDecoder[i]!, byDecoder[j]!));
    // The map itself, laid out from the profiles: neighbours in 2-D are still of one group.
    const layout = await umapLayout(profiles.sums.slice(0, live * DEFAULT_PROFILE.dims), live, DEFAULT_PROFILE.dims, { seed: 0, threads: 1, nEpochs: 200 });
    const xy = (i: number, j: number) => -((layout.xy[2 * i]! - layout.xy[2 * j]!) ** 2 + (layout.xy[2 * i + 1]! - layout.xy[2 * j + 1]!) ** 2);
    const layoutPurity = knnPurity(live, labels, k, xy);
    console.log(`planted groups: ${k}-NN purity by activation ${activationPurity.toFixed(3)}, 2-D layout ${layoutPurity.toFixed(3)}, by decoder ${decoderPurity.toFixed(3)} (chance ${(19 / 119).toFixed(3)})`);
    expect(activationPurity).toBeGreaterThan(0.9);
    expect(layoutPurity).toBeGreaterThan(0.9);
    expect(decoderPurity).toBeLessThan(0.3);
  });

  it('gives a latent that never fired no profile', () => {
    const { acts, latents } = plantedActivations(3, 4, 500, 2, 4);
    const profiles = profilesOf(sparseBatches(acts, latents, 50, 3), latents, DEFAULT_PROFILE);
    expect(Array.from(liveLatents(profiles.sums, latents, DEFAULT_PROFILE.dims))).toEqual(Array.from({ length: latents - 1 }, (_, l) => l));
  });

  it('takes only the first profile.tokens tokens, whatever the batches, and repeats from its seed', () => {
    const { acts, latents } = plantedActivations(3, 4, 600, 2, 5);
    const config = { dims: 31, maxDims: 31, tokens: 250, seed: 9 };
    const cut = profilesOf(sparseBatches(acts, latents, 100, 3), latents, config);
    const firstTokens = profilesOf(sparseBatches(acts.subarray(0, 250 * latents), latents, 50, 3), latents, { ...config, tokens: 10_000 });
    expect(cut.tokens).toBe(250);
    expect(cut.sums).toEqual(firstTokens.sums);
    expect(cut.sums.some((v) => v !== 0)).toBe(true);
  });

  it('gives small SAEs more dims, whose first ones are the projection of fewer: sizes of a family share a map', () => {
    expect([256, 1024, 2048, 16_384, 262_144].map((n) => profileDims(n, DEFAULT_PROFILE))).toEqual([4096, 4096, 2048, 256, 256]);
    const { acts, latents } = plantedActivations(3, 4, 300, 2, 6);
    const batches = sparseBatches(acts, latents, 60, 3);
    const wide = profilesOf(batches, latents, DEFAULT_PROFILE, 1024);
    const narrow = profilesOf(batches, latents, DEFAULT_PROFILE, 256);
    // The same 256 dims read from a wider projection (as the harvest does for the smaller sizes of a site).
    const shared = profilesOf(batches, latents, DEFAULT_PROFILE, 256, 1024);
    const prefix = (p: ActivationProfiles, d: number) => rowsOf(p.centred(), latents, p.dims).map((row) => Array.from(row.subarray(0, d)));
    expect(prefix(wide, 256)).toEqual(prefix(narrow, 256));
    expect(prefix(shared, 256)).toEqual(prefix(narrow, 256));
  });

  it('refuses batches out of order, naming the token', () => {
    const projection = new TokenProjection({ dims: 4, maxDims: 4, tokens: 100, seed: 0 }, 4);
    projection.rows(0, 10);
    expect(projection.rows(0, 10)).toBe(projection.rows(0, 10));
    expect(() => projection.rows(20, 10)).toThrow('token projection: rows asked from token 20, but the next undrawn token is 10; batches must come in order');
  });
});
