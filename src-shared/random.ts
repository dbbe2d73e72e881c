// The one seeded generator of the project: generated models, sampled text, SAE initialisation,
// reservoir samples and UMAP layouts repeat from a seed, byte for byte, on every backend and Node
// version (tfjs's own RNG is an implementation detail). Checkpointable streams use data/rng.ts.

/** mulberry32 (Tommy Ettinger, public domain): uniform floats in [0, 1) from a 32-bit seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fills `out` with normal(0, std) draws by the Box–Muller transform. */
export function fillNormal(out: Float32Array, std: number, uniform: () => number): Float32Array {
  for (let i = 0; i < out.length; i += 2) {
    const radius = Math.sqrt(-2 * Math.log(1 - uniform())) * std; // 1 - u keeps log away from 0
    const angle = 2 * Math.PI * uniform();
    out[i] = radius * Math.cos(angle);
    if (i + 1 < out.length) out[i + 1] = radius * Math.sin(angle);
  }
  return out;
}
