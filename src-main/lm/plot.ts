// The loss curve of a pretraining run as a standalone SVG: held-out loss (and training loss, when the
// run recorded it) against training tokens, from the run's lm_training.json, with the count-based
// baselines as horizontal lines. Hand-written because it is one chart and needs no dependency.
import { existsSync, readFileSync } from 'node:fs';
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

/** Round ticks from at or below `lo` to at or above `hi`, in steps of 1, 2 or 5 × 10^k, about `count` steps. */
export function niceTicks(lo: number, hi: number, count: number): number[] {
  if (!(hi > lo)) return niceTicks(lo - 0.5, hi + 0.5, count);
  const raw = (hi - lo) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw * (1 - 1e-9))!;
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  return Array.from({ length: last - first + 1 }, (_, i) => Number(((first + i) * step).toPrecision(12)));
}

function tokenLabel(n: number): string {
  if (n >= 1e6) return `${Number((n / 1e6).toPrecision(3))}M`;
  if (n >= 1e3) return `${Number((n / 1e3).toPrecision(3))}k`;
  return String(n);
}

const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const WIDTH = 760;
const HEIGHT = 440;
const MARGIN = { left: 70, right: 150, top: 40, bottom: 56 };
const COLOURS = { heldOut: '#d62728', train: '#1f77b4', unigram: '#7f7f7f', bigram: '#2ca02c' };

export function lossCurveSvg(curve: LossCurve, options: PlotOptions = {}): string {
  const baselines = [{ label: `unigram ${curve.unigramLoss.toFixed(3)}`, loss: curve.unigramLoss, colour: COLOURS.unigram }];
  if (options.bigramLoss !== undefined) baselines.push({ label: `bigram ${options.bigramLoss.toFixed(3)}`, loss: options.bigramLoss, colour: COLOURS.bigram });
  const points = [...curve.heldOut, ...curve.train];
  const losses = [...points.map((p) => p.loss), ...baselines.map((b) => b.loss)];
  // The x axis ends at the last point (3.0M tokens should not stretch to 4M); the y axis at round values.
  const xMax = Math.max(...points.map((p) => p.tokens)) || 1;
  const xTicks = niceTicks(0, xMax, 6).filter((t) => t <= xMax);
  const yTicks = niceTicks(Math.min(...losses), Math.max(...losses), 6);
  const [yLo, yHi] = [yTicks[0], yTicks.at(-1)!];
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (tokens: number) => MARGIN.left + (tokens / xMax) * plotW;
  const y = (loss: number) => MARGIN.top + ((yHi - loss) / (yHi - yLo)) * plotH;
  const f = (v: number) => v.toFixed(1);
  const path = (ps: LossPoint[]) => ps.map((p, i) => `${i === 0 ? 'M' : 'L'}${f(x(p.tokens))},${f(y(p.loss))}`).join(' ');

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`);
  if (options.title) out.push(`<text x="${MARGIN.left + plotW / 2}" y="22" text-anchor="middle" font-size="14">${escape(options.title)}</text>`);
  for (const t of yTicks) {
    out.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${f(y(t))}" y2="${f(y(t))}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${MARGIN.left - 6}" y="${f(y(t) + 4)}" text-anchor="end">${t}</text>`);
  }
  for (const t of xTicks) {
    out.push(`<line x1="${f(x(t))}" x2="${f(x(t))}" y1="${MARGIN.top + plotH}" y2="${MARGIN.top + plotH + 5}" stroke="black"/>`);
    out.push(`<text x="${f(x(t))}" y="${MARGIN.top + plotH + 19}" text-anchor="middle">${tokenLabel(t)}</text>`);
  }
  out.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="black"/>`);
  out.push(`<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 12}" text-anchor="middle">training tokens</text>`);
  out.push(`<text transform="translate(18 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">cross-entropy (nats/token)</text>`);
  for (const b of baselines) {
    out.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${f(y(b.loss))}" y2="${f(y(b.loss))}" stroke="${b.colour}" stroke-dasharray="6 4"/>`);
    out.push(`<text x="${MARGIN.left + plotW + 6}" y="${f(y(b.loss) + 4)}" fill="${b.colour}">${b.label}</text>`);
  }
  if (curve.train.length > 0) out.push(`<path d="${path(curve.train)}" fill="none" stroke="${COLOURS.train}" stroke-width="1.5"/>`);
  out.push(`<path d="${path(curve.heldOut)}" fill="none" stroke="${COLOURS.heldOut}" stroke-width="2"/>`);
  for (const p of curve.heldOut) out.push(`<circle cx="${f(x(p.tokens))}" cy="${f(y(p.loss))}" r="3" fill="${COLOURS.heldOut}"/>`);
  const last = curve.heldOut.at(-1)!;
  const legend = [{ label: `held-out ${last.loss.toFixed(3)}`, colour: COLOURS.heldOut }];
  if (curve.train.length > 0) legend.push({ label: 'training', colour: COLOURS.train });
  // Top right inside the plot: losses fall, so that corner is empty.
  legend.forEach((item, i) => {
    const lx = MARGIN.left + plotW - 130;
    const ly = MARGIN.top + 16 + i * 18;
    out.push(`<line x1="${lx}" x2="${lx + 20}" y1="${ly}" y2="${ly}" stroke="${item.colour}" stroke-width="2"/>`);
    out.push(`<text x="${lx + 26}" y="${ly + 4}">${item.label}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
