// `sae-explorer sae compare A B` on the tiny model: an SAE against itself (every latent matched at
// cosine 1, r = 1 where it fires), two sizes of a family (shares of each side), and the refusals.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../../src-main/engine/backend.js';
import { saveSaeLens } from '../../../src-main/sae/formats/saelens.js';
import type { SaeComparison } from '../../../src-shared/api.js';
import { randomTopKSae, writeFixtures } from '../features/harvest-fixtures.js';
import { runCli } from './run-cli.js';

let fixtures: ReturnType<typeof writeFixtures>;
let early: string;
const TOKENS = String(3 * 63);

beforeAll(async () => {
  await initEngine();
  const root = mkdtempSync(path.join(tmpdir(), 'sae-compare-cli-'));
  fixtures = writeFixtures(root);
  early = path.join(root, 'early');
  const sae = randomTopKSae(8, 1);
  saveSaeLens(early, { ...sae, spec: { ...sae.spec, hookName: 'blocks.0.hook_resid_post' } });
}, 60_000);

describe('sae-explorer sae compare', () => {
  it('matches an SAE with itself: every latent at cosine 1, shares of 1, and says so in one line', async () => {
    const [, sixteen] = fixtures.saeDirs;
    const json = await runCli('sae', 'compare', sixteen!, sixteen!, '--model', fixtures.modelDir, '--tokens', TOKENS, '--json');
    expect(json.code, json.stderr).toBe(0);
    const c = JSON.parse(json.stdout) as SaeComparison;
    expect(c).toMatchObject({ method: 'hungarian', sameModel: true, matched: 16, shareMatchedA: 1, shareMatchedB: 1, threshold: 0.7, dataset: 'sotu', tokens: 3 * 63 });
    for (const p of c.pairs) {
      expect(p.b).toBe(p.a);
      expect(p.cosine).toBeCloseTo(1, 5);
      if (p.correlation !== 0) expect(p.correlation).toBeCloseTo(1, 4);
    }
    const text = await runCli('sae', 'compare', sixteen!, sixteen!, '--model', fixtures.modelDir, '--tokens', TOKENS);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`matched at cosine ≥ 0.7: 16 pairs = 100.0% of A, 100.0% of B; median activation correlation of those pairs 1.000 on ${3 * 63} held-out tokens of sotu`);
  }, 60_000);

  it('compares two sizes: one partner per latent of the smaller side, shares of each side at the threshold', async () => {
    const [eight, sixteen] = fixtures.saeDirs;
    const r = await runCli('sae', 'compare', eight!, sixteen!, '--model', fixtures.modelDir, '--tokens', TOKENS, '--threshold', '0.3', '--json');
    expect(r.code, r.stderr).toBe(0);
    const c = JSON.parse(r.stdout) as SaeComparison;
    const greedy = JSON.parse((await runCli('sae', 'compare', eight!, sixteen!, '--model', fixtures.modelDir, '--tokens', TOKENS, '--method', 'greedy', '--json')).stdout) as SaeComparison;
    expect(greedy.method).toBe('greedy');
    // The optimal matching's summed cosine is never below the greedy one's.
    const total = (x: SaeComparison) => x.pairs.reduce((s, p) => s + p.cosine, 0);
    expect(total(c)).toBeGreaterThanOrEqual(total(greedy) - 1e-5);
    expect(c.pairs).toHaveLength(8);
    expect(new Set(c.pairs.map((p) => p.b)).size).toBe(8);
    const matched = c.pairs.filter((p) => p.cosine >= 0.3).length;
    expect(c.matched).toBe(matched);
    expect(c.shareMatchedA).toBe(matched / 8);
    expect(c.shareMatchedB).toBe(matched / 16);
    expect(c.unmatchedB.length).toBe(16 - matched);
    expect(c.unmatchedB.filter((u) => u.partner === null)).toHaveLength(8);
  }, 60_000);

  it('refuses SAEs at different hooks and a threshold outside 0..1, naming them', async () => {
    const [eight] = fixtures.saeDirs;
    const site = await runCli('sae', 'compare', eight!, early, '--model', fixtures.modelDir, '--tokens', TOKENS);
    expect(site.code).toBe(1);
    expect(site.stderr).toBe(`sae-explorer: ${eight} reads blocks.1.hook_resid_post but ${early} reads blocks.0.hook_resid_post; only SAEs at the same hook can be compared\n`);
    const bar = await runCli('sae', 'compare', eight!, eight!, '--model', fixtures.modelDir, '--threshold', '1.5');
    expect(bar.stderr).toBe('sae-explorer: --threshold must be a decoder cosine in 0..1, got "1.5"\n');
    expect((await runCli('sae', 'compare', eight!, eight!, '--model', fixtures.modelDir, '--method', 'best')).stderr).toBe('sae-explorer: --method must be auto, hungarian or greedy, got "best"\n');
    const batch = await runCli('sae', 'compare', eight!, eight!, '--model', fixtures.modelDir, '--batch', '0', '--tokens', TOKENS);
    expect(batch.stderr).toBe('sae-explorer: batchWindows must be a positive integer (windows per forward pass), got 0\n');
  }, 60_000);
});
