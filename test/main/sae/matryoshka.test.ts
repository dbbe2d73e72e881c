// Matryoshka BatchTopK's pieces that the trainer tests do not reach: cutting out a prefix, and the
// SAELens cfg's nested sizes refused by name when they do not fit.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSaeLens, saveSaeLens } from '../../../src-main/sae/formats/saelens.js';
import { createSae, validateSaeConfig } from '../../../src-main/sae/index.js';
import { prefixBundle, restrictToPrefix } from '../../../src-main/sae/matryoshka.js';
import { plantedDictionary } from './planted.js';

const meta = { modelName: 'synthetic', hookName: 'blocks.0.hook_resid_post', contextSize: 64, prependBos: true };

describe('Matryoshka BatchTopK', () => {
  it('restricts a code to a prefix by zeroing the later latents', () => {
    const code = { values: Float32Array.from([3, 2, 1, 5, 4, 0]), indices: Int32Array.from([7, 1, 4, 2, 9, 0]), batch: 2, width: 3 };
    expect(Array.from(restrictToPrefix(code, 5).values)).toEqual([0, 2, 1, 5, 0, 0]);
  });

  it('reports each prefix per step, and saves a prefix that SAELens cfg checks refuse when d_sae is not among the sizes', async () => {
    const data = plantedDictionary(8, 16, 2, 3);
    const sample = data.batch(128, 1);
    const sae = await createSae(validateSaeConfig({ architecture: 'matryoshka_batchtopk', dIn: 8, dSae: 32, k: 2, matryoshkaPrefixes: [4, 12], normalizeActivations: 'none' }), { sample });
    const result = await sae.step(sample);
    expect(result.metrics.prefixes!.map((p) => p.dSae)).toEqual([4, 12]);
    expect(result.metrics.prefixes![0].l0).toBeLessThanOrEqual(result.metrics.prefixes![1].l0);
    expect(result.metrics.prefixes![1].l0).toBeLessThanOrEqual(result.metrics.l0);
    expect(result.losses.matryoshka).toBeGreaterThan(0);

    const bundle = await sae.toBundle(meta);
    expect(bundle.spec.matryoshkaPrefixes).toEqual([4, 12, 32]);
    expect(() => prefixBundle(bundle, 10)).toThrow(/10 is not one of this SAE's nested sizes \(4, 12, 32\)/);
    const dir = mkdtempSync(join(tmpdir(), 'matryoshka-'));
    saveSaeLens(dir, prefixBundle(bundle, 12));
    expect(loadSaeLens(dir).spec).toMatchObject({ dSae: 12, matryoshkaPrefixes: [4, 12, 32] });
    const cfgFile = join(dir, 'cfg.json');
    const cfg = JSON.parse(readFileSync(cfgFile, 'utf8'));
    cfg.metadata.sae_explorer.matryoshka_prefixes = [4, 32];
    writeFileSync(cfgFile, JSON.stringify(cfg));
    expect(() => loadSaeLens(dir)).toThrow(/"metadata.sae_explorer.matryoshka_prefixes" is \[4,32\]; .*d_sae = 12 among them/);
    sample.dispose();
    await sae.dispose();
  });
});
