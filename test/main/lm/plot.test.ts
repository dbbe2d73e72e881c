import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lossCurveSvg, readLossCurve, trainLossFromLog } from '../../../src-main/lm/plot.js';

function recordFile(record: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), 'lm-plot-')), 'lm_training.json');
  writeFileSync(file, JSON.stringify(record));
  return file;
}

const heldOut = [
  { step: 100, tokens: 204800, loss: 6.1 },
  { step: 200, tokens: 409600, loss: 5.6 },
];
const train = [
  { step: 10, tokens: 20480, loss: 10.3 },
  { step: 200, tokens: 409600, loss: 5.8 },
];

/** The y pixel of a horizontal line whose stroke is `colour`. */
function lineY(svg: string, colour: string): number {
  const match = new RegExp(`<line x1="[\\d.]+" x2="[\\d.]+" y1="([\\d.]+)" y2="\\1" stroke="${colour}" stroke-dasharray`).exec(svg);
  return Number(match![1]);
}

describe('the loss-curve plot', () => {
  it('draws both curves and the baselines at their losses, with labelled axes', () => {
    const svg = lossCurveSvg(readLossCurve(recordFile({ heldOut, train, result: { unigramLoss: 6.567 } })), { bigramLoss: 4.93, title: 'SOTU <4 layers>' });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('>training tokens</text>');
    expect(svg).toContain('>cross-entropy (nats/token)</text>');
    expect(svg).toContain('SOTU &lt;4 layers&gt;');
    expect(svg).toContain('>unigram 6.567</text>');
    expect(svg).toContain('>bigram 4.930</text>');
    expect(svg).toContain('>held-out 5.600</text>');
    expect(svg).toContain('>training</text>');
    expect(svg).toContain('>400k</text>');
    // Losses 4.93..10.3: y runs from 4 (bottom, pixel 384) to 11 (top, pixel 40).
    const y = (loss: number) => 40 + ((11 - loss) / 7) * 344;
    expect(lineY(svg, '#7f7f7f')).toBeCloseTo(y(6.567), 1);
    expect(lineY(svg, '#2ca02c')).toBeCloseTo(y(4.93), 1);
    // Two held-out points as markers; x runs from 0 to the last point's 409,600 tokens over pixels 70..610.
    const circles = [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)"/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(circles).toHaveLength(2);
    expect(circles[0][0]).toBeCloseTo(70 + (204800 / 409600) * 540, 1);
    expect(circles[1][0]).toBeCloseTo(610, 1);
    expect(svg).not.toContain('>500k</text>');
    expect(circles[1][1]).toBeCloseTo(y(5.6), 1);
  });

  it('reads a record from before the training loss was kept, and names what is wrong with a bad one', () => {
    const curve = readLossCurve(recordFile({ heldOut, result: { unigramLoss: 6.567 } }));
    expect(curve.train).toEqual([]);
    const svg = lossCurveSvg(curve);
    expect(svg).not.toContain('>training</text>');
    expect(svg).not.toContain('bigram');
    expect(() => readLossCurve(recordFile({ heldOut: [], result: { unigramLoss: 6 } }))).toThrow(/"heldOut" must be a non-empty list of \{step, tokens, loss\}/);
    expect(() => readLossCurve(recordFile({ heldOut, result: {} }))).toThrow(/"result.unigramLoss" must be a number/);
    expect(() => readLossCurve(recordFile({ heldOut, train: [{ step: 1 }], result: { unigramLoss: 6 } }))).toThrow(/"train" must be a list/);
    expect(() => readLossCurve('/nonexistent/lm_training.json')).toThrow('/nonexistent/lm_training.json: not found; lm train writes it when the run finishes');
  });

  it('reads the training loss from lm train\'s progress lines, keeping the continued run where a resume repeats steps', () => {
    const log = [
      'reading sotu: every 20th document held out, windows of 128 tokens',
      'step 10/1465 20.5k/3.00M tokens, 515 tokens/s, ETA 1h36m | loss 10.347 lr 2.74e-4 grad norm 1.86',
      'held-out loss 5.6054 at step 200 (unigram 6.5670)',
      'step 20/1465 41.0k/3.00M tokens, 500 tokens/s, ETA 1h36m | loss 9.512 lr 5.48e-4 grad norm 1.20',
      'step 30/1465 61.4k/3.00M tokens, 500 tokens/s, ETA 1h36m | loss 8.800 lr 8.22e-4 grad norm 1.00',
      'resumed /x/checkpoint.safetensors at step 20 of 1465',
      'step 30/1465 61.4k/3.00M tokens, 480 tokens/s, ETA 1h37m | loss 8.801 lr 8.22e-4 grad norm 1.00',
    ].join('\n');
    expect(trainLossFromLog(log, 2048, 'train.log')).toEqual([
      { step: 10, tokens: 20480, loss: 10.347 },
      { step: 20, tokens: 40960, loss: 9.512 },
      { step: 30, tokens: 61440, loss: 8.801 },
    ]);
    expect(() => trainLossFromLog('held-out loss 5.6 at step 200', 2048, 'train.log')).toThrow('train.log: no progress lines');
  });
});
