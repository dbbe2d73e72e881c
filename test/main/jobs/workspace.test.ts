import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WorkspaceLayout } from '../../../src-main/jobs/workspace/layout.js';
import { scanWorkspace } from '../../../src-main/jobs/workspace/scan.js';
import { sweepStaleTemps } from '../../../src-main/jobs/workspace/sweep.js';

const roots: string[] = [];
afterEach(() => roots.splice(0).forEach((root) => rmSync(root, { recursive: true, force: true })));

function write(root: string, file: string, content: string | object): void {
  const target = path.join(root, file);
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, typeof content === 'string' ? content : JSON.stringify(content));
}

function fixture(): WorkspaceLayout {
  const root = mkdtempSync(path.join(tmpdir(), 'sae-ws-'));
  roots.push(root);
  const layout = new WorkspaceLayout(root);
  layout.ensure();
  write(root, 'models/tiny/config.json', { n_layer: 2, n_embd: 64, n_head: 4, n_positions: 128, vocab_size: 50257 });
  write(root, 'models/tiny/provenance.json', { source: 'tiny random GPT-2 (seed 0)' });
  write(root, 'models/old/config.json', { n_layer: 1, n_embd: 8, n_head: 2, n_ctx: 16, vocab_size: 100 });
  write(root, 'models/broken/config.json', '{ not json');
  // SAELens v6 keys for one size, legacy (< 6.0) keys for the other.
  write(root, 'saes/fam/128/cfg.json', { d_in: 64, d_sae: 128, architecture: 'topk', k: 8, metadata: { model_name: 'tiny', hook_name: 'blocks.1.hook_resid_post' } });
  write(root, 'saes/fam/64/cfg.json', { d_in: 64, d_sae: 64, activation_fn_str: 'topk', activation_fn_kwargs: { k: 8 }, model_name: 'tiny', hook_point: 'blocks.1.hook_resid_post' });
  write(root, 'saes/fam/64/sae_weights.safetensors', 'x'.repeat(1000));
  write(root, 'saes/lone/cfg.json', { d_in: 64, d_sae: 256, architecture: 'standard', metadata: { model_name: 'tiny', hook_name: 'blocks.0.hook_resid_pre' } });
  write(root, 'datasets/corpus.txt', 'hello world');
  write(root, 'datasets/notes.md', 'ignored: not a corpus format');
  write(root, 'db/features.sqlite', 'x'.repeat(4096));
  return layout;
}

describe('scanWorkspace', () => {
  it('lists models, datasets, families, SAEs and databases from their own files', () => {
    const layout = fixture();
    const warnings: string[] = [];
    const listing = scanWorkspace(layout, (message) => warnings.push(message));

    expect(listing.models.map((m) => [m.id, m.nLayers, m.dModel, m.nHeads, m.nCtx, m.vocabSize, m.provenance])).toEqual([
      ['old', 1, 8, 2, 16, 100, null],
      ['tiny', 2, 64, 4, 128, 50257, 'tiny random GPT-2 (seed 0)'],
    ]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^skipped model broken: /);

    expect(listing.datasets.map((d) => [d.id, d.kind, d.sizeBytes])).toEqual([
      ['embedded:sotu', 'embedded', 0],
      ['corpus.txt', 'txt', 11],
    ]);
    expect(listing.families).toEqual([
      { id: 'fam', path: layout.family('fam'), modelName: 'tiny', hookName: 'blocks.1.hook_resid_post', sizes: [64, 128], saes: ['fam/64', 'fam/128'], kind: 'sizes', labels: ['64', '128'], models: ['tiny', 'tiny'] },
    ]);
    const byId = Object.fromEntries(listing.saes.map((s) => [s.id, s]));
    expect(Object.keys(byId).sort()).toEqual(['fam/128', 'fam/64', 'lone']);
    expect(byId['fam/64']).toMatchObject({ family: 'fam', architecture: 'topk', dIn: 64, dSae: 64, k: 8, hookName: 'blocks.1.hook_resid_post' });
    expect(byId['fam/64']!.sizeBytes).toBeGreaterThan(1000);
    expect(byId.lone).toMatchObject({ family: null, architecture: 'standard', dSae: 256, k: null });
    expect(listing.databases).toEqual([{ id: 'features.sqlite', path: layout.database(), sizeBytes: 4096 }]);
  });

  it('lists a BatchTopK-family SAE saved as JumpReLU by its trained architecture and k', () => {
    const layout = fixture();
    const explorer = { format_version: 1, architecture: 'matryoshka_batchtopk', k: 8, matryoshka_prefixes: [32, 128] };
    write(layout.root, 'saes/nested/32/cfg.json', { d_in: 64, d_sae: 32, architecture: 'jumprelu', metadata: { model_name: 'tiny', hook_name: 'blocks.1.hook_resid_post', sae_explorer: explorer } });
    const entry = scanWorkspace(layout).saes.find((s) => s.id === 'nested/32');
    expect(entry).toMatchObject({ family: 'nested', architecture: 'matryoshka_batchtopk', k: 8, dSae: 32 });
  });

  it('lists a checkpoints set in its order, skipping a member outside it, and a family with a broken family.json as sizes', () => {
    const layout = fixture();
    const cfg = (model: string) => ({ d_in: 64, d_sae: 32, architecture: 'topk', k: 4, metadata: { model_name: model, hook_name: 'blocks.1.hook_resid_post' } });
    write(layout.root, 'saes/set/step-9/cfg.json', cfg('step-9'));
    write(layout.root, 'saes/set/final/cfg.json', cfg('tiny'));
    write(layout.root, 'saes/elsewhere/cfg.json', cfg('tiny'));
    const member = (label: string, at: string, model: string) => ({ label, path: at, d_sae: 32, model, model_path: `/m/${model}` });
    write(layout.root, 'saes/set/family.json', { kind: 'checkpoints', saes: [member('step-9', 'step-9', 'step-9'), member('stray', '../elsewhere', 'x'), member('final', 'final', 'tiny')] });
    write(layout.root, 'saes/fam/family.json', '{ broken');
    const warnings: string[] = [];
    const listing = scanWorkspace(layout, (message) => warnings.push(message));
    expect(listing.families.find((f) => f.id === 'set')).toMatchObject({ kind: 'checkpoints', saes: ['set/step-9', 'set/final'], labels: ['step-9', 'final'], models: ['step-9', 'tiny'], modelName: 'tiny', sizes: [32, 32] });
    expect(listing.families.find((f) => f.id === 'fam')).toMatchObject({ kind: 'sizes', saes: ['fam/64', 'fam/128'] });
    expect(warnings.filter((w) => !w.startsWith('skipped model broken'))).toEqual([
      expect.stringMatching(/^skipped family.json of fam: .*family.json: not valid JSON/),
      expect.stringMatching(/^skipped member "stray" of set: .*elsewhere is not an SAE folder directly inside the set$/),
    ]);
  });

  it('lists an empty workspace as just the embedded corpus', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'sae-ws-'));
    roots.push(root);
    const listing = scanWorkspace(new WorkspaceLayout(root));
    expect(listing).toEqual({ root, models: [], datasets: [{ id: 'embedded:sotu', path: null, kind: 'embedded', sizeBytes: 0 }], families: [], saes: [], databases: [] });
  });

  it('sizes symlinks as themselves: a link to /etc is not walked, and a self-referencing link fails nothing', () => {
    const layout = fixture();
    symlinkSync('/etc', layout.dataset('etc'));
    symlinkSync('loop', layout.dataset('loop'));
    symlinkSync('loop.txt', layout.dataset('loop.txt'));
    symlinkSync('config.json', path.join(layout.model('tiny'), 'config.json.loop'));
    symlinkSync('self', path.join(layout.dir('models'), 'self'));
    const warnings: string[] = [];
    const listing = scanWorkspace(layout, (message) => warnings.push(message));
    const datasets = Object.fromEntries(listing.datasets.map((d) => [d.id, d]));
    expect(datasets.etc).toMatchObject({ kind: 'folder', sizeBytes: lstatSync(layout.dataset('etc')).size });
    expect(datasets.etc!.sizeBytes).toBe('/etc'.length);
    // A loop cannot be told apart from a file by following it; its name decides, as for any entry.
    expect(datasets['loop.txt']).toMatchObject({ kind: 'txt', sizeBytes: 'loop.txt'.length });
    expect(datasets.loop).toBeUndefined();
    expect(listing.models.map((m) => m.id)).toEqual(['old', 'tiny']);
    expect(warnings).toEqual([expect.stringMatching(/^skipped model broken: /)]);
  });

  it('never reads a FIFO: one named config.json is skipped with a warning instead of blocking the scan', () => {
    const layout = fixture();
    mkdirSync(layout.model('fifo'));
    execFileSync('mkfifo', [path.join(layout.model('fifo'), 'config.json')]);
    mkdirSync(path.join(layout.family('fam'), '256'));
    execFileSync('mkfifo', [path.join(layout.family('fam'), '256', 'cfg.json')]);
    const warnings: string[] = [];
    const listing = scanWorkspace(layout, (message) => warnings.push(message));
    expect(listing.models.map((m) => m.id)).toEqual(['old', 'tiny']);
    expect(listing.families[0]!.sizes).toEqual([64, 128]);
    expect(warnings).toContain(`skipped model fifo: ${path.join(layout.model('fifo'), 'config.json')}: not a regular file; only regular files are read`);
  });
});

describe('sweepStaleTemps', () => {
  it('removes what writers killed mid-write left, keeping the files of live writers and everything else', () => {
    const layout = fixture();
    const dead = 4242;
    const live = 7;
    const family = layout.family('fam');
    const left = [
      path.join(family, `.checkpoint.safetensors.${dead}.0badf00d.tmp`),
      path.join(family, '64', `.eval.json.${dead}.0badf00d.tmp`),
      path.join(layout.dir('jobs'), `.job-3.json.${dead}.0badf00d.tmp`),
      path.join(layout.dir('comparisons'), `.job-5.json.${dead}.0badf00d.tmp`),
    ];
    for (const file of left) write(layout.root, path.relative(layout.root, file), '{ half');
    mkdirSync(path.join(family, `.256.tmp-${dead}-a1B2c3`));
    mkdirSync(path.join(layout.dir('models'), `tiny.old-${dead}-0badf00d`));
    const writing = path.join(layout.dir('jobs'), `.job-4.json.${live}.0badf00d.tmp`);
    write(layout.root, path.relative(layout.root, writing), '{ being written');
    const warnings: string[] = [];
    sweepStaleTemps(layout, (pid) => pid === live, (message) => warnings.push(message));
    expect(warnings).toHaveLength(6);
    for (const file of left) expect(existsSync(file), file).toBe(false);
    expect(readdirSync(family).sort()).toEqual(['128', '64']);
    expect(readdirSync(layout.dir('models')).sort()).toEqual(['broken', 'old', 'tiny']);
    expect(existsSync(writing)).toBe(true);
  });
});
