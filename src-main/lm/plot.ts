// The loss curve of a pretraining run as a standalone SVG: held-out loss (and training loss, when the
// run recorded it) against training tokens, from the run's lm_training.json, with the count-based
// baselines as horizontal lines, drawn by the shared SVG chart (src-main/plot).
import { existsSync, readFileSync } from 'node:fs';
import { countLabel, niceTicks, svgChart, type ChartSeries } from '../plot/svg-chart.js';
import type { LossPoint } from './trainer.js';

export interface LossCurve {
  heldOut: LossPoint[];
  /** Absent from records of runs made before the trainer kept it. */
  train: LossPoint[];
  unigramLoss: number;
}

export interface PlotOptions {
  /** The interpolated bigram's held-out loss (from `lm eval`), drawn as a second line. */
  bigramLoss?: number;
  title?: string;
}

function isLossPoints(value: unknown): value is LossPoint[] {
  return Array.isArray(value) && value.every((p) => typeof p === 'object' && p !== null && ['step', 'tokens', 'loss'].every((k) => Number.isFinite((p as Record<string, unknown>)[k])));
}

/** The curves of an lm_training.json; errors name the file and the field that is wrong. */
export function readLossCurve(file: string): LossCurve {
  if (!existsSync(file)) throw new Error(`${file}: not found; lm train writes it when the run finishes`);
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`${file}: cannot read it as JSON (${(err as Error).message}); expected the lm_training.json a finished lm train run writes`);
  }
  const unigramLoss = (record.result as Record<string, unknown> | undefined)?.unigramLoss;
  if (!isLossPoints(record.heldOut) || record.heldOut.length === 0) throw new Error(`${file}: "heldOut" must be a non-empty list of {step, tokens, loss}; is this an lm train record?`);
  if (typeof unigramLoss !== 'number' || !Number.isFinite(unigramLoss)) throw new Error(`${file}: "result.unigramLoss" must be a number; is this an lm train record?`);
  if (record.train !== undefined && !isLossPoints(record.train)) throw new Error(`${file}: "train" must be a list of {step, tokens, loss}`);
  return { heldOut: record.heldOut, train: record.train ?? [], unigramLoss };
}

/**
 * Training losses from the progress lines `lm train` printed to stderr ("step 10/1465 … | loss 10.347 …"),
 * for runs whose record predates the training-loss history; `stepTokens` is batch × ctx.
 */
export function trainLossFromLog(text: string, stepTokens: number, file: string): LossPoint[] {
  const points: LossPoint[] = [];
  for (const match of text.matchAll(/^step (\d+)\/\d+ .*\| loss (\S+) /gm)) {
    const step = Number(match[1]);
    const loss = Number(match[2]);
    // A resumed run repeats steps after its checkpoint: the later line is the run that continued.
    while (points.length > 0 && points.at(-1)!.step >= step) points.pop();
    if (Number.isFinite(loss)) points.push({ step, tokens: step * stepTokens, loss });
  }
  if (points.length === 0) throw new Error(`${file}: no progress lines ("step N/M … | loss X …") of lm train found`);
  return points;
}

const COLOURS = { heldOut: '#d62728', train: '#1f77b4', unigram: '#7f7f7f', bigram: '#2ca02c' };

export function lossCurveSvg(curve: LossCurve, options: PlotOptions = {}): string {
  const references = [{ label: `unigram ${curve.unigramLoss.toFixed(3)}`, y: curve.unigramLoss, colour: COLOURS.unigram }];
  if (options.bigramLoss !== undefined) references.push({ label: `bigram ${options.bigramLoss.toFixed(3)}`, y: options.bigramLoss, colour: COLOURS.bigram });
  const points = [...curve.heldOut, ...curve.train];
  const losses = [...points.map((p) => p.loss), ...references.map((b) => b.y)];
  // The x axis ends at the last point (3.0M tokens should not stretch to 4M); the y axis at round values.
  const xMax = Math.max(...points.map((p) => p.tokens)) || 1;
  const yTicks = niceTicks(Math.min(...losses), Math.max(...losses), 6);
  const xy = (ps: LossPoint[]) => ps.map((p) => ({ x: p.tokens, y: p.loss }));
  const series: ChartSeries[] = [];
  if (curve.train.length > 0) series.push({ points: xy(curve.train), colour: COLOURS.train, width: 1.5 });
  series.push({ points: xy(curve.heldOut), colour: COLOURS.heldOut, width: 2, markers: 3 });
  const legend = [{ label: `held-out ${curve.heldOut.at(-1)!.loss.toFixed(3)}`, colour: COLOURS.heldOut }];
  if (curve.train.length > 0) legend.push({ label: 'training', colour: COLOURS.train });
  return svgChart({
    title: options.title,
    x: { label: 'training tokens', domain: [0, xMax], ticks: niceTicks(0, xMax, 6).filter((t) => t <= xMax), format: countLabel },
    y: { label: 'cross-entropy (nats/token)', domain: [yTicks[0]!, yTicks.at(-1)!], ticks: yTicks },
    series,
    references,
    legend,
  });
}
