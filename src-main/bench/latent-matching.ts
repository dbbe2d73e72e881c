// The cost of matching two SAEs' latents at HUNGARIAN_MAX latents a side, the bound of the optimal
// matching (features/latent-matching.ts): the Hungarian solve (munkres) on decoder cosines, and the
// greedy matching that takes over above the bound, on the same decoders. Real decoders when
// SAE_BENCH_MATCH_SAE names an SAE folder of at least 2 × HUNGARIAN_MAX latents (its two halves are
// matched, as two different dictionaries of one site); otherwise random Gaussian rows of d 128.
import { loadSaeLens } from '../sae/formats/saelens.js';
import { fillNormal, seededRandom } from '../../src-shared/random.js';
import { HUNGARIAN_MAX, decoderCosines, hungarianMatch, matchLatents, type Decoder } from '../features/latent-matching.js';

function decoders(): { a: Decoder; b: Decoder; d: number; source: string } {
  const n = HUNGARIAN_MAX;
  const folder = process.env.SAE_BENCH_MATCH_SAE;
  if (folder) {
    const { spec, weights } = loadSaeLens(folder);
    if (spec.dSae < 2 * n) throw new Error(`SAE_BENCH_MATCH_SAE: ${folder} has ${spec.dSae} latents; matching its halves at the bound needs at least ${2 * n}`);
    const d = spec.dIn;
    return { a: { wDec: weights.W_dec.slice(0, n * d), n }, b: { wDec: weights.W_dec.slice(n * d, 2 * n * d), n }, d, source: folder };
  }
  const d = 128;
  return { a: { wDec: fillNormal(new Float32Array(n * d), 1, seededRandom(1)), n }, b: { wDec: fillNormal(new Float32Array(n * d), 1, seededRandom(2)), n }, d, source: 'random Gaussian rows' };
}

export async function run(): Promise<Record<string, number | string>> {
  const { a, b, d, source } = decoders();
  const t0 = performance.now();
  const cosines = decoderCosines(a, b, d);
  const t1 = performance.now();
  const pairs = hungarianMatch(cosines, a.n, b.n);
  const t2 = performance.now();
  await matchLatents(a, b, d, { method: 'greedy' });
  const t3 = performance.now();
  const mean = (x: Float32Array) => x.reduce((s, v) => s + v, 0) / x.length;
  return {
    decoders: source,
    latents_a_side: a.n,
    cosine_matrix_s: (t1 - t0) / 1000,
    hungarian_s: (t2 - t1) / 1000,
    greedy_s: (t3 - t2) / 1000,
    hungarian_mean_cosine: mean(pairs.cosine),
  };
}
