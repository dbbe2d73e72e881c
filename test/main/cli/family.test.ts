// `sae-explorer family chart` on hand-written family.json files: one family with the curves that
// training records now, one as old trainers wrote it (no curves), a sweep of single-size folders
// combined; and the refusals, each naming what is wrong.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readFamilyRecord } from '../../../src-main/train/family-record.js';
import { runCli } from './run-cli.js';

const root = mkdtempSync(path.join(tmpdir(), 'sae-family-chart-'));

/** A family folder with a family.json listing `saes`. */
function familyDir(name: string, saes: unknown[], extra: Record<string, unknown> = {}): string {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'family.json'), JSON.stringify({ version: 2, tokens: 4096, saes, ...extra }));
  return dir;
}

const curve = { tokens: [1024, 2048, 3072, 4096, 5120], train_fvu: [0.5, 0.2, 0.1, 0.1, 0.1], l0: [8, 8, 8, 8, 8], dead_frac: [0, 0, 0, 0, 0] };
const member = (n: number, fvu: number | null, withCurve = true) => ({
  d_sae: n,
  path: String(n),
  train: { train_fvu: 0.1, l0: 8, dead_frac: 0 },
  eval: fvu === null ? null : { eval_fvu: fvu },
  ...(withCurve ? { history: curve, tokens_to_convergence: { tokens: 3072, converged: true } } : {}),
});

describe('sae-explorer family chart', () => {
  it('writes the SVG and prints the least-squares exponent of one family', async () => {
    const dir = familyDir('sizes', [member(100, 0.1), member(400, 0.05), member(1600, 0.025)]);
    const out = path.join(root, 'sizes.svg');
    const json = await runCli('family', 'chart', dir, '--out', out, '--json');
    expect(json.code, json.stderr).toBe(0);
    const r = JSON.parse(json.stdout);
    // FVU halves per 4× size: exponent log(2)/log(4) = 0.5.
    expect(r.exponent).toBeCloseTo(0.5, 10);
    expect(r.r2).toBeCloseTo(1, 10);
    expect(r.sizes[0]).toEqual({ d_sae: 100, eval_fvu: 0.1, tokens_to_convergence: 3072, converged: true, dir });
    expect(readFileSync(out, 'utf8')).toContain('FVU ∝ n^−0.500');
    const text = await runCli('family', 'chart', dir, '--out', out);
    expect(text.stdout).toContain('d_sae 100: eval FVU 0.1000, 3072 tokens to convergence');
    expect(text.stdout).toContain('FVU ∝ n^-0.500 (R² 1.000');
  });

  it('fits and draws tokens to convergence against size over the sizes that converged', async () => {
    const timed = (n: number, tokens: number, converged = true) => ({ ...member(n, 0.1), tokens_to_convergence: { tokens, converged } });
    // Tokens double per 4× size (exponent 0.5); the 6400 is a lower bound and stays out of the fit.
    const dir = familyDir('timed', [timed(100, 1000), timed(400, 2000), timed(1600, 4000), timed(6400, 5000, false)]);
    const convergenceOut = path.join(root, 'timed-ttc.svg');
    const r = await runCli('family', 'chart', dir, '--out', path.join(root, 'timed.svg'), '--convergence-out', convergenceOut, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).convergence.exponent).toBeCloseTo(0.5, 10);
    expect(readFileSync(convergenceOut, 'utf8')).toContain('tokens ∝ n^0.50 (R² 1.00)');
    const text = await runCli('family', 'chart', dir, '--out', path.join(root, 'timed.svg'));
    expect(text.stdout).toContain('tokens to convergence ∝ n^0.500 (R² 1.000, over the sizes that converged');
  });

  it('combines a sweep of single-size folders, old ones without curves included', async () => {
    const dirs = [member(100, 0.1), member(400, 0.05, false), member(1600, 0.025)].map((m, i) => familyDir(`sweep${i}`, [m]));
    const out = path.join(root, 'sweep.svg');
    const r = await runCli('family', 'chart', ...dirs, '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('d_sae 400: eval FVU 0.0500, no training curve');
    expect(r.stdout).toContain('FVU ∝ n^-0.500');
  });

  it('draws two sizes without a fit and says why', async () => {
    const dir = familyDir('two', [member(100, 0.1), member(400, 0.05), member(1600, null)]);
    const r = await runCli('family', 'chart', dir, '--out', path.join(root, 'two.svg'), '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ exponent: null, reason: 'a power law needs eval FVU at 3 or more sizes; only 100, 400 have one' });
  });

  it('refuses what it cannot chart, naming the folder or field', async () => {
    const noEval = familyDir('noeval', [member(100, null)]);
    const cases: Array<[string[], RegExp]> = [
      [[noEval, '--out', path.join(root, 'x.svg')], /no eval FVU in .*noeval: train with --eval-tokens > 0/],
      [[noEval, '--out', path.join(root, 'x.png')], /--out .*x.png: the chart is SVG/],
      [[path.join(root, 'nowhere'), '--out', path.join(root, 'x.svg')], /nowhere: no family.json/],
      [[familyDir('dup', [member(100, 0.1)]), familyDir('dup2', [member(100, 0.2)]), '--out', path.join(root, 'x.svg')], /d_sae 100 is in both .*dup and .*dup2/],
      [[familyDir('badcurve', [{ ...member(100, 0.1), history: { ...curve, l0: [1] } }]), '--out', path.join(root, 'x.svg')], /saes\[0\]\.history\.l0 must be a list of 5 numbers/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli('family', 'chart', ...args);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.stderr).toMatch(message);
    }
    expect(existsSync(path.join(root, 'x.svg'))).toBe(false);
  });
});

describe('readFamilyRecord', () => {
  it('reads a version-1 family.json (one "nmse", no train/eval split) as no figures, and an eval.json beside a member', () => {
    const dir = familyDir('v1', [{ d_sae: 8, path: '8', nmse: 0.2 }], { version: 1 });
    expect(readFamilyRecord(dir).members[0]).toMatchObject({ dSae: 8, train: null, evalFvu: null, history: null, convergence: null });
    mkdirSync(path.join(dir, '8'));
    writeFileSync(path.join(dir, '8', 'eval.json'), JSON.stringify({ eval_fvu: 0.07 }));
    expect(readFamilyRecord(dir).members[0]!.evalFvu).toBe(0.07);
  });
});
