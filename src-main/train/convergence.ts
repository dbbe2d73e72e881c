// Tokens to convergence of one size, from its recorded training curve. Gao et al. 2024 train each
// size to convergence and find the tokens it takes growing with n; a short run cannot show that
// growth unless it says, per size, when the curve stopped moving. The rule:
// - smooth the train FVU with a trailing mean over 5% of the points (one training batch is noisy;
//   the curve's points are already means of equal step counts);
// - the final value is the smoothed value at the end;
// - tokens to convergence: the first point from which the smoothed FVU stays within 5% of the final
//   value to the end. 5% is about the gap between neighbouring sizes of a family at equal tokens (the
//   demo: 0.0366 → 0.0348 → 0.0310 from 256 to 1,024 latents), so a size counts as converged once
//   its remaining movement is below what the scaling chart resolves.
// - converged: that point lies within the first 80% of the run, i.e. the curve was flat for at least
//   the last fifth. Otherwise the run ended while the FVU was still moving: the figure is a lower bound.

export const CONVERGENCE_TOLERANCE = 0.05;
const SMOOTHING_SHARE = 0.05;
const FLAT_SHARE = 0.2;
/** Fewer points than this say nothing about a plateau. */
const MIN_POINTS = 5;

export const TOKENS_TO_CONVERGENCE_DEFINITION =
  'tokens_to_convergence.tokens = the first training-token count from which the train FVU, smoothed by a trailing mean over 5% of the history points, stays within 5% of its final smoothed value; converged = that count is within the first 80% of the run (else the FVU was still moving at the end and the count is a lower bound); null with fewer than 5 history points';

export interface Convergence {
  tokens: number;
  converged: boolean;
}

/** Trailing mean over `window` points (fewer at the start). */
export function smoothed(values: number[], window: number): number[] {
  const out: number[] = [];
  let sum = 0;
  values.forEach((v, i) => {
    sum += v;
    if (i >= window) sum -= values[i - window]!;
    out.push(sum / Math.min(i + 1, window));
  });
  return out;
}

/** The rule above on a curve's points (tokens ascending); null when it has too few points to judge. */
export function tokensToConvergence(tokens: number[], trainFvu: number[]): Convergence | null {
  if (tokens.length !== trainFvu.length) throw new Error(`tokens to convergence: ${tokens.length} token counts but ${trainFvu.length} FVU values`);
  if (tokens.length < MIN_POINTS) return null;
  const curve = smoothed(trainFvu, Math.max(1, Math.round(SMOOTHING_SHARE * tokens.length)));
  const final = curve.at(-1)!;
  let first = curve.length - 1;
  while (first > 0 && Math.abs(curve[first - 1]! - final) <= CONVERGENCE_TOLERANCE * Math.abs(final)) first--;
  return { tokens: tokens[first]!, converged: tokens[first]! <= (1 - FLAT_SHARE) * tokens.at(-1)! };
}
