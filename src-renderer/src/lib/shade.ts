// Token shading for contexts and prompts: background alpha proportional to activation ÷ max, so the
// strongest token of a context is the most saturated and inactive tokens stay clear.

/** Background colour for an activation, relative to `max` (> 0). */
export function activationBackground(value: number, max: number): string {
  if (!(max > 0) || !(value > 0)) return 'transparent';
  const alpha = Math.min(1, value / max);
  return `rgba(255, 140, 50, ${(0.08 + 0.8 * alpha).toFixed(3)})`;
}

/** Token display strings arrive with spaces and newlines made visible; keep them on one line. */
export function tokenLabel(token: string): string {
  return token === '' ? '∅' : token;
}
