import { describe, expect, it } from 'vitest';
import type { JobInfo, WorkspaceListing } from '../../../src-shared/api.js';
import { diskUse, gettingStarted } from '../../../src-renderer/src/lib/get-started.js';

const empty: WorkspaceListing = { root: '/ws', models: [], datasets: [{ id: 'embedded:sotu', path: null, kind: 'embedded', sizeBytes: 0 }], families: [], saes: [], databases: [] };

function job(kind: JobInfo['kind'], state: JobInfo['state']): JobInfo {
  return { id: `job-${kind}`, kind, title: kind, state, createdAt: '', finishedAt: null, progress: null, error: null, result: null } as JobInfo;
}

describe('gettingStarted', () => {
  it('says every step is still to do in an empty workspace', () => {
    const steps = gettingStarted(empty, []);
    expect(steps.map((s) => [s.id, s.state, s.detail])).toEqual([
      ['model', 'not yet', '0 models'],
      ['dataset', 'not yet', 'the embedded corpus only'],
      ['saes', 'not yet', '0 families, 0 SAEs'],
      ['features', 'not yet', '0 feature databases'],
    ]);
    expect(diskUse(steps)).toBe(0);
  });

  it('marks steps done from the listing, running from unfinished jobs of their kind, and sums their sizes', () => {
    const listing: WorkspaceListing = {
      ...empty,
      models: [{ id: 'tiny', path: '', nLayers: 2, dModel: 64, nHeads: 4, nCtx: 128, vocabSize: 50257, sizeBytes: 1000, provenance: null, evaluation: null }],
      datasets: [...empty.datasets, { id: 'a.txt', path: '', kind: 'txt', sizeBytes: 20 }],
      families: [{ id: 'fam', path: '', kind: 'sizes', labels: ['32'], models: ['tiny'], modelName: 'tiny', hookName: 'blocks.1.hook_resid_post', sizes: [32], saes: ['fam/32'] }],
      saes: [{ id: 'fam/32', family: 'fam', path: '', architecture: 'topk', dIn: 64, dSae: 32, k: 4, modelName: 'tiny', hookName: 'blocks.1.hook_resid_post', sizeBytes: 300, evaluation: null }],
    };
    const steps = gettingStarted(listing, [job('sae-import', 'running'), job('harvest', 'done'), job('pull-model', 'failed')]);
    expect(steps.map((s) => [s.id, s.state, s.detail])).toEqual([
      ['model', 'done', '1 model'],
      ['dataset', 'done', '1 dataset'],
      ['saes', 'running', '1 family, 1 SAE'],
      ['features', 'not yet', '0 feature databases'],
    ]);
    expect(diskUse(steps)).toBe(1320);
  });
});
