// Activation profiles: each latent as the vector of its activations over the harvest's tokens,
// compressed by a random projection (Johnson–Lindenstrauss) so that a family of 344k latents costs
// latents × dims floats, never latents × tokens. Token t gets a fixed Gaussian row R[t, :] of `dims`
// values, and every latent l active there adds a_l(t) · R[t, :] to its profile p_l; then
// ⟨p_a, p_b⟩ ≈ ⟨a, b⟩ over the tokens, so cos(p_a, p_b) estimates the cosine of the two latents'
// activation profiles (its error falls as 1/√dims). The store keeps the centred profiles, whose
// cosines estimate the latents' activation correlations, and the feature map's activation basis lays
// latents out by them (umap-job.ts): latents that fire on the same tokens land together whatever
// their decoder directions. At 256 dims the error's σ is 1/16, so among thousands of latents a
// latent's best spurious match sits near cosine √(2 ln n / dims) ≈ 0.24: pairs that fire together
// less than that are not told apart from chance (docs/demo.md "The map" measures this).
//
// The profiles are gathered in the harvest's first pass (harvest.ts), which already encodes every
// token for every SAE: a separate pass would run the model and every encoder again (for a family of
// GPT-2 small that is most of a harvest's time), and would tie the map to the model's folder, while
// this way `umap` reads only the database.
//
// Row R[t, :] is drawn from a stream seeded by (seed, t) alone, so a token's row is the same in
// every harvest, and the first m entries of a longer row are the row of an m-dim projection: an SAE
// profiled in more dims than its siblings still shares their first dims, and the joint map uses the
// dims all the sizes have. An SAE gets as many dims as PROFILE_FLOATS allows, between dims and
// maxDims, since the projection's error is what limits this basis on a small family.
import { seededRandom, fillNormal } from '../../src-shared/random.js';
import { forEachActive, type ActivationBatch } from './batch.js';

export interface ProfileConfig {
  /** Fewest projected dimensions per latent (m), those of the largest SAEs; default 256: a cosine's error has σ ≈ (1 − cos²)/√m, 1/16 (test/main/features/activation-profile.test.ts). */
  dims: number;
  /** Most projected dimensions per latent, those of SAEs of up to PROFILE_FLOATS / maxDims latents; default 4,096 (σ 1/64). */
  maxDims: number;
  /** Harvested tokens the profiles are taken over, the first ones; default 262,144 (all of most harvests; cost tokens × active latents × dims). */
  tokens: number;
  /** Seed of the projection's rows; default 0. */
  seed: number;
}

export const DEFAULT_PROFILE: ProfileConfig = { dims: 256, maxDims: 4096, tokens: 262_144, seed: 0 };

/** Profile floats an SAE may take (16 MiB): an SAE of n latents gets dims doubled while it stays within PROFILE_FLOATS / n and maxDims. */
export const PROFILE_FLOATS = 2 ** 22;

/** Projected dimensions of an SAE of `dSae` latents. */
export function profileDims(dSae: number, config: ProfileConfig): number {
  let dims = config.dims;
  while (dims * 2 <= config.maxDims && dims * 2 * dSae <= PROFILE_FLOATS) dims *= 2;
  return dims;
}

/** The projection's rows R[t, :] of `dims` values, for the tokens of a batch, shared by every SAE that reads it. */
export class TokenProjection {
  private drawn = 0;
  private blockStart = -1;
  private block: Float32Array = new Float32Array(0);
  /** Σ of the rows drawn so far (R projected onto the all-ones profile), for centring: [dims]. */
  readonly rowSum: Float64Array;
  /** Rows (tokens) drawn so far. */
  drawnRows = 0;

  constructor(
    readonly config: ProfileConfig,
    readonly dims: number,
  ) {
    this.rowSum = new Float64Array(dims);
  }

  /**
   * Rows for harvest tokens [first, first + count), cut at `config.tokens`: [rows, dims]. Ranges must
   * come in order without gaps (the centring sums each row once); the same range may be asked for again (once per SAE).
   */
  rows(first: number, count: number): Float32Array {
    if (first === this.blockStart) return this.block;
    if (first !== this.drawn) throw new Error(`token projection: rows asked from token ${first}, but the next undrawn token is ${this.drawn}; batches must come in order`);
    const rows = Math.max(0, Math.min(count, this.config.tokens - first));
    const { dims } = this;
    this.block = new Float32Array(rows * dims); // [rows, dims]
    for (let r = 0; r < rows; r++) {
      const row = fillNormal(this.block.subarray(r * dims, (r + 1) * dims), 1, seededRandom(tokenSeed(this.config.seed, first + r)));
      for (let c = 0; c < dims; c++) this.rowSum[c] += row[c];
    }
    this.drawnRows += rows;
    this.blockStart = first;
    this.drawn = first + count;
    return this.block;
  }
}

/** The seed of token t's row: (seed, t) mixed so that neighbouring tokens start far apart in mulberry32's sequence. */
function tokenSeed(seed: number, t: number): number {
  let h = Math.imul(t ^ 0x5bd1e995, 0x9e3779b1) ^ Math.imul(seed + 0x27d4eb2f, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  return (h ^ (h >>> 15)) >>> 0;
}

/** One SAE's profiles being summed in the first `dims` of the projection's rows: [dSae, dims]. */
export class ActivationProfiles {
  readonly sums: Float32Array;
  /** Each latent's activation summed over the profiled tokens: [dSae]. */
  readonly totals: Float64Array;
  /** Tokens summed so far. */
  tokens = 0;

  constructor(
    readonly dSae: number,
    private readonly projection: TokenProjection,
    readonly dims: number,
  ) {
    if (dims > projection.dims) throw new Error(`activation profiles of ${dims} dims need a projection of at least ${dims}, got ${projection.dims}`);
    this.sums = new Float32Array(dSae * dims);
    this.totals = new Float64Array(dSae);
  }

  /** Adds a batch whose first row is harvest token `firstToken`; rows past the projection's token cut are left out. */
  observe(batch: ActivationBatch, firstToken: number): void {
    const { dims } = this;
    const stride = this.projection.dims;
    const r = this.projection.rows(firstToken, batch.tokens.length); // [rows kept, projection dims]
    const kept = r.length / stride;
    if (kept === 0) return;
    const sums = this.sums;
    forEachActive(batch, (row, latent, value) => {
      if (row >= kept) return;
      const p = latent * dims;
      const t = row * stride;
      for (let c = 0; c < dims; c++) sums[p + c] += value * r[t + c];
      this.totals[latent] += value;
    });
    this.tokens += kept;
  }

  /**
   * The projections of the centred profiles, a_l − mean(a_l) over the tokens, so that their cosines
   * estimate Pearson correlations: by linearity R(a − ā·1) = Ra − ā·R1. Activations are ≥ 0, so
   * uncentred profiles share a positive mean part, which grows with a latent's density and pulls
   * frequent latents together whatever they fire on. [dSae, dims].
   */
  centred(): Float32Array {
    const { dims } = this;
    const { rowSum, drawnRows } = this.projection;
    const out = new Float32Array(this.sums.length);
    for (let l = 0; l < this.dSae; l++) {
      const mean = drawnRows > 0 ? this.totals[l] / drawnRows : 0;
      for (let c = 0; c < dims; c++) out[l * dims + c] = this.sums[l * dims + c] - mean * rowSum[c];
    }
    return out;
  }
}

/** Latents whose profile is not all zero (they fired on the profiled tokens), ascending. */
export function liveLatents(sums: Float32Array, dSae: number, dims: number): Int32Array {
  const live: number[] = [];
  for (let l = 0; l < dSae; l++) {
    for (let c = l * dims; c < (l + 1) * dims; c++) {
      if (sums[c] !== 0) {
        live.push(l);
        break;
      }
    }
  }
  return Int32Array.from(live);
}
