// Equal L0 for the architectures without a k: their sparsity coefficient is searched by short probe
// runs. L0 falls as the coefficient grows, roughly as a power of it, so the search brackets the
// target by factors of 4 and then interpolates log L0 linearly in log coefficient (regula falsi).
import type { RunArchitecture } from '../../train/config.js';

/** The sparsity coefficient of each architecture that has one (the family trainer's field). */
export const COEFFICIENT_OF: Partial<Record<RunArchitecture, 'l1Coefficient' | 'l0Coefficient'>> = {
  relu: 'l1Coefficient',
  gated: 'l1Coefficient',
  jumprelu: 'l0Coefficient',
};

/** First probe: the SAE core's default coefficient (sae/config.ts). */
const START: Partial<Record<RunArchitecture, number>> = { relu: 1, gated: 1, jumprelu: 1e-3 };

/** Bracketing step, as a factor on the coefficient. */
const STEP = 4;

export interface CalibrationProbe {
  coefficient: number;
  /** L0 the probe run reached. */
  l0: number;
}

export interface CalibrationOptions {
  /** L0 wanted. */
  target: number;
  /** Probe runs at most. */
  probes: number;
  /** Stop once a probe is within this relative distance of the target. */
  tolerance: number;
}

/**
 * The coefficient whose probe came closest to `target` (in ratio), and every probe in order.
 * `probe` trains with a coefficient and answers the L0 reached.
 */
export async function calibrateCoefficient(arch: RunArchitecture, probe: (coefficient: number) => Promise<number>, o: CalibrationOptions): Promise<{ coefficient: number; probes: CalibrationProbe[] }> {
  const start = START[arch];
  if (start === undefined) throw new Error(`calibrate: architecture "${arch}" has no sparsity coefficient; it takes k = the target L0`);
  if (!(o.target > 0) || !Number.isInteger(o.probes) || o.probes < 1) throw new Error(`calibrate: target ${o.target} and probes ${o.probes} are invalid; expected a target > 0 and at least 1 probe`);
  const probes: CalibrationProbe[] = [];
  // log L0, with L0 = 0 (every latent silenced) kept finite so it still brackets from below.
  const logL0 = (l0: number) => Math.log(Math.max(l0, 1e-3));
  const miss = (p: CalibrationProbe) => Math.abs(logL0(p.l0) - Math.log(o.target));
  let next = start;
  for (;;) {
    const l0 = await probe(next);
    probes.push({ coefficient: next, l0 });
    if (Math.abs(l0 / o.target - 1) <= o.tolerance || probes.length >= o.probes) break;
    // Too dense: the largest coefficient still above target; too sparse: the smallest below.
    const dense = probes.filter((p) => p.l0 > o.target).sort((a, b) => b.coefficient - a.coefficient)[0];
    const sparse = probes.filter((p) => p.l0 <= o.target).sort((a, b) => a.coefficient - b.coefficient)[0];
    if (!sparse) next = dense.coefficient * STEP;
    else if (!dense) next = sparse.coefficient / STEP;
    else {
      const [a, b] = [dense, sparse].map((p) => ({ x: Math.log(p.coefficient), y: logL0(p.l0) }));
      const slope = (b.y - a.y) / (b.x - a.x);
      // A flat stretch (equal L0 at both ends) has no line to follow: halve the bracket instead.
      next = Number.isFinite(slope) && slope < 0 ? Math.exp(a.x + (Math.log(o.target) - a.y) / slope) : Math.sqrt(dense.coefficient * sparse.coefficient);
    }
  }
  const best = probes.reduce((a, b) => (miss(b) < miss(a) ? b : a));
  return { coefficient: best.coefficient, probes };
}
