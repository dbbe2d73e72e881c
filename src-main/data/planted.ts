// Synthetic activations from a planted dictionary, so what an SAE learns can be checked against the
// truth (`sae-explorer bench recovery`). Each token is a sparse non-negative sum of unit feature
// directions plus a little Gaussian noise:
//   x = Σ_i a_i f_i + ε,  f_i unit-norm in R^d,  a_i ~ U[magnitudeMin, magnitudeMax] when i fires.
// Independent features fire with power-law probabilities p ∝ rank^−α, parents first, scaled so a
// token has `meanActive` features on average. Some of them are parents: when a parent
// fires, with probability `childGivenParent` exactly one of its children (chosen uniformly) fires
// too, and a child never fires otherwise. That hierarchy is what lets an SAE absorb a parent into
// its children's latents (Chanin et al. 2024, "A is for Absorption"), and what Matryoshka SAEs
// are meant to resist (Bussmann et al. 2025).
import { fillNormal, seededRandom } from '../../src-shared/random.js';
import { Rng } from './rng.js';

export interface PlantedConfig {
  /** Width of an activation vector, in dimensions. Default 64. */
  d: number;
  /** Planted feature directions in all, children included. Default 512. */
  features: number;
  /** Features that have children. Default 32. */
  parents: number;
  /** Children of each parent. Default 3. */
  childrenPerParent: number;
  /** Probability that one of a firing parent's children fires with it (exactly one, uniform). Default 0.5. */
  childGivenParent: number;
  /** Expected number of active features per token (children included). Default 8. */
  meanActive: number;
  /** Exponent α of the independent features' firing probabilities p ∝ rank^−α. Default 0.5. */
  frequencyExponent: number;
  /** Smallest magnitude of an active feature. Default 0.5. */
  magnitudeMin: number;
  /** Largest magnitude of an active feature. Default 1.5. */
  magnitudeMax: number;
  /** Standard deviation of the Gaussian noise added to every dimension. Default 0.01. */
  noise: number;
  /** Seed of the directions, hierarchy and frequencies (the token stream has its own). Default 0. */
  seed: number;
}

const DEFAULTS: PlantedConfig = {
  d: 64,
  features: 512,
  parents: 32,
  childrenPerParent: 3,
  childGivenParent: 0.5,
  meanActive: 8,
  frequencyExponent: 0.5,
  magnitudeMin: 0.5,
  magnitudeMax: 1.5,
  noise: 0.01,
  seed: 0,
};

function fail(key: string, value: unknown, expected: string): never {
  throw new Error(`planted dictionary: "${key}" = ${JSON.stringify(value)} is invalid; expected ${expected}`);
}

/** Fills defaults and checks every field; unknown keys and out-of-range values name the field. */
export function validatePlantedConfig(input: Partial<PlantedConfig> = {}): PlantedConfig {
  for (const key of Object.keys(input)) {
    if (!(key in DEFAULTS)) throw new Error(`planted dictionary: unknown key "${key}"; known keys are ${Object.keys(DEFAULTS).join(', ')}`);
  }
  const c = { ...DEFAULTS, ...Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) } as PlantedConfig;
  const integer = (key: keyof PlantedConfig, min: number) => {
    if (!Number.isSafeInteger(c[key]) || c[key] < min) fail(key, c[key], `an integer ≥ ${min}`);
  };
  const finite = (key: keyof PlantedConfig, ok: (v: number) => boolean, expected: string) => {
    if (typeof c[key] !== 'number' || !Number.isFinite(c[key]) || !ok(c[key])) fail(key, c[key], expected);
  };
  integer('d', 1);
  integer('features', 1);
  integer('parents', 0);
  integer('childrenPerParent', 1);
  integer('seed', 0);
  const children = c.parents * c.childrenPerParent;
  if (c.parents + children > c.features) fail('parents', c.parents, `at most ${Math.floor(c.features / (1 + c.childrenPerParent))}: ${c.parents} parents and their ${children} children must fit in ${c.features} features`);
  finite('childGivenParent', (v) => v >= 0 && v <= 1, 'a probability in [0, 1]');
  finite('meanActive', (v) => v > 0, 'a number > 0');
  finite('frequencyExponent', (v) => v >= 0, 'a number ≥ 0');
  finite('magnitudeMin', (v) => v > 0, 'a number > 0');
  finite('magnitudeMax', (v) => v >= c.magnitudeMin, `a number ≥ magnitudeMin (${c.magnitudeMin})`);
  finite('noise', (v) => v >= 0, 'a number ≥ 0');
  return c;
}

/** A batch of tokens with the features that made them. */
export interface PlantedBatch {
  /** [tokens, d] row-major activations. */
  x: Float32Array;
  tokens: number;
  /** Token t's active features are features[offsets[t] .. offsets[t+1]), with their magnitudes. */
  offsets: Uint32Array;
  features: Uint32Array;
  magnitudes: Float32Array;
}

export class PlantedDictionary {
  readonly config: PlantedConfig;
  /** [features, d] unit-norm rows. */
  readonly directions: Float32Array;
  /** Firing probability per token of each independent feature; for a child, its marginal (parent's p × childGivenParent / children). */
  readonly probabilities: Float64Array;
  /** The parent of each feature, or −1. */
  readonly parentOf: Int32Array;
  /** Each parent's children, in feature order. */
  readonly childrenOf: Map<number, number[]>;

  constructor(input: Partial<PlantedConfig> = {}) {
    const c = validatePlantedConfig(input);
    this.config = c;
    const random = seededRandom(c.seed);
    this.directions = fillNormal(new Float32Array(c.features * c.d), 1, random);
    for (let i = 0; i < c.features; i++) {
      const row = this.directions.subarray(i * c.d, (i + 1) * c.d);
      const norm = Math.hypot(...row);
      for (let j = 0; j < c.d; j++) row[j] /= norm;
    }
    // Which features are parents and children, and each independent feature's frequency rank, are
    // drawn at random: nothing about a feature's index says what it is.
    const order = shuffledRange(c.features, c.seed);
    const children = c.parents * c.childrenPerParent;
    this.parentOf = new Int32Array(c.features).fill(-1);
    this.childrenOf = new Map();
    for (let p = 0; p < c.parents; p++) {
      const parent = order[p];
      const kids = Array.from(order.subarray(c.parents + p * c.childrenPerParent, c.parents + (p + 1) * c.childrenPerParent)).sort((a, b) => a - b);
      for (const kid of kids) this.parentOf[kid] = parent;
      this.childrenOf.set(parent, kids);
    }
    // Parents are general features, so the most frequent ones: they take the first ranks, and the
    // other independent features the rest, each group in an order drawn from the seed.
    const others = order.subarray(c.parents + children);
    const rankOf = new Map<number, number>();
    shuffledRange(c.parents, c.seed + 1).forEach((r, i) => rankOf.set(order[i], r + 1));
    shuffledRange(others.length, c.seed + 2).forEach((r, i) => rankOf.set(others[i], c.parents + r + 1));
    const independent = [...rankOf.keys()];
    const weight = (f: number) => rankOf.get(f)! ** -c.frequencyExponent;
    // Σ p_i over independent features, plus the child that fires with each parent, is meanActive.
    let total = 0;
    for (const f of independent) total += weight(f) * (this.childrenOf.has(f) ? 1 + c.childGivenParent : 1);
    this.probabilities = new Float64Array(c.features);
    for (const f of independent) this.probabilities[f] = weight(f) * (c.meanActive / total);
    for (const [parent, kids] of this.childrenOf) for (const kid of kids) this.probabilities[kid] = (this.probabilities[parent] * c.childGivenParent) / kids.length;
    const largest = Math.max(...this.probabilities);
    if (largest > 1) fail('meanActive', c.meanActive, `a smaller value: the most frequent feature would fire with probability ${largest.toFixed(2)} > 1`);
  }

  get d(): number {
    return this.config.d;
  }

  get features(): number {
    return this.config.features;
  }

  /** (parent, child) pairs, every parent's children in order. */
  get pairs(): Array<{ parent: number; child: number }> {
    return [...this.childrenOf].flatMap(([parent, kids]) => kids.map((child) => ({ parent, child })));
  }

  /** A stream of tokens, deterministic in `seed` (independent of the dictionary's seed). */
  stream(seed: number): PlantedStream {
    return new PlantedStream(this, seed);
  }
}

/** 0 … n−1 in an order drawn from `seed`. */
function shuffledRange(n: number, seed: number): Uint32Array {
  return Rng.fromSeed(seed).shuffle(Uint32Array.from({ length: n }, (_, i) => i));
}

export class PlantedStream {
  private readonly rng: Rng;
  /** For each independent feature, how many tokens from the start of the next batch until it fires next. */
  private readonly untilNext: Float64Array;
  private readonly independent: number[];

  constructor(
    readonly dictionary: PlantedDictionary,
    seed: number,
  ) {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`planted stream: seed ${seed} is invalid; expected an integer ≥ 0`);
    this.rng = Rng.fromSeed(seed);
    this.independent = [];
    for (let f = 0; f < dictionary.features; f++) if (dictionary.parentOf[f] < 0) this.independent.push(f);
    this.untilNext = Float64Array.from(this.independent, (f) => this.gap(dictionary.probabilities[f]));
  }

  /** Tokens until the next firing of a feature of probability p, counting from 0 (geometric). */
  private gap(p: number): number {
    if (p >= 1) return 0;
    return Math.floor(Math.log(1 - this.rng.nextFloat()) / Math.log(1 - p));
  }

  private magnitude(): number {
    const { magnitudeMin, magnitudeMax } = this.dictionary.config;
    return magnitudeMin + (magnitudeMax - magnitudeMin) * this.rng.nextFloat();
  }

  /**
   * The next `tokens` tokens. Each independent feature's firings are drawn by geometric gaps, so a
   * batch costs what its active features cost, not tokens × features draws.
   */
  next(tokens: number): PlantedBatch {
    if (!Number.isSafeInteger(tokens) || tokens < 1) throw new Error(`planted stream: tokens ${tokens} is invalid; expected an integer ≥ 1`);
    const dict = this.dictionary;
    const { d, childGivenParent, noise } = dict.config;
    const events: Array<{ token: number; feature: number; magnitude: number }> = [];
    for (let i = 0; i < this.independent.length; i++) {
      const feature = this.independent[i];
      const p = dict.probabilities[feature];
      let token = this.untilNext[i];
      for (; token < tokens; token += 1 + this.gap(p)) {
        events.push({ token, feature, magnitude: this.magnitude() });
        const kids = dict.childrenOf.get(feature);
        if (kids && this.rng.nextFloat() < childGivenParent) events.push({ token, feature: kids[this.rng.nextInt(kids.length)], magnitude: this.magnitude() });
      }
      this.untilNext[i] = token - tokens;
    }
    events.sort((a, b) => a.token - b.token || a.feature - b.feature);
    const offsets = new Uint32Array(tokens + 1);
    for (const e of events) offsets[e.token + 1]++;
    for (let t = 0; t < tokens; t++) offsets[t + 1] += offsets[t];
    const x = new Float32Array(tokens * d);
    if (noise > 0) fillNormal(x, noise, () => this.rng.nextFloat());
    const features = new Uint32Array(events.length);
    const magnitudes = new Float32Array(events.length);
    events.forEach((e, i) => {
      features[i] = e.feature;
      magnitudes[i] = e.magnitude;
      const row = x.subarray(e.token * d, (e.token + 1) * d);
      const dir = dict.directions.subarray(e.feature * d, (e.feature + 1) * d);
      for (let j = 0; j < d; j++) row[j] += e.magnitude * dir[j];
    });
    return { x, tokens, offsets, features, magnitudes };
  }
}

/**
 * Decoder-like directions with planted cluster structure at two scales, for the neighbour search and
 * the map (bench umap, its tests): `groups` broad groups, each of `subgroups` tighter clusters, and
 * every row a cluster centre plus noise of its own size, so neighbourhoods range from tight to diffuse
 * as a real dictionary's do (i.i.d. Gaussian rows have no neighbours worth finding). [n, d] row-major.
 */
export function plantedDirectionMixture(n: number, d: number, seed: number, groups = 64, subgroups = 16): Float32Array {
  const random = seededRandom(seed);
  const broad = fillNormal(new Float32Array(groups * d), 1, random);
  const centres = fillNormal(new Float32Array(groups * subgroups * d), 0.8, random);
  for (let c = 0; c < groups * subgroups; c++) {
    const group = Math.floor(c / subgroups);
    for (let j = 0; j < d; j++) centres[c * d + j] += broad[group * d + j];
  }
  const x = fillNormal(new Float32Array(n * d), 1, random);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(random() * groups * subgroups);
    const noise = 0.2 + 0.6 * random();
    for (let j = 0; j < d; j++) x[i * d + j] = centres[c * d + j] + noise * x[i * d + j];
  }
  return x;
}
