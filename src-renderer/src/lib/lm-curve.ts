// A pretraining run's loss curve (lm.curve) in the columnar shape LineChart draws: held-out and
// training loss on one token axis (each a gap where the other has a point), and the unigram and,
// when the model was evaluated, the bigram baselines as dashed lines across it.
import type { LmCurve } from '../../../src-shared/api.js';
import type { ChartData } from './family-charts.js';

export function lossCurveChart(curve: LmCurve): ChartData {
  const x = [...new Set([...curve.heldOut, ...curve.train].map((p) => p.tokens))].sort((a, b) => a - b);
  const along = (points: LmCurve['heldOut']) => {
    const at = new Map(points.map((p) => [p.tokens, p.loss]));
    return x.map((t) => at.get(t) ?? null);
  };
  const lines: ChartData['lines'] = [{ label: 'held-out', values: along(curve.heldOut) }];
  if (curve.train.length) lines.push({ label: 'training', values: along(curve.train) });
  lines.push({ label: `unigram ${curve.unigramLoss.toFixed(3)}`, values: x.map(() => curve.unigramLoss), style: 'dashed' });
  if (curve.bigramLoss !== null) lines.push({ label: `bigram ${curve.bigramLoss.toFixed(3)}`, values: x.map(() => curve.bigramLoss), style: 'dashed' });
  return { x, lines };
}
