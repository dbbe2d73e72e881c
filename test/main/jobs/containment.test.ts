// Ids in requests name workspace entries, never paths: traversal is refused by name, and an entry
// that leads outside the workspace (a symlink out, a dangling link) answers exactly as a missing one,
// so no request can read a file outside the workspace or learn whether one exists.
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { ApiErrorInfo, ApiMethod } from '../../../src-shared/api.js';
import { Dispatcher } from '../../../src-main/jobs/dispatcher.js';
import { WorkspaceLayout } from '../../../src-main/jobs/workspace/layout.js';

const base = realpathSync(mkdtempSync(path.join(tmpdir(), 'sae-contain-')));
const root = path.join(base, 'workspace');
const outside = path.join(base, 'outside');
mkdirSync(outside, { recursive: true });
writeFileSync(path.join(outside, 'secret.txt'), 'outside the workspace');
mkdirSync(path.join(outside, 'model'), { recursive: true });
writeFileSync(path.join(outside, 'model', 'config.json'), '{}');
mkdirSync(path.join(outside, 'sae'), { recursive: true });
writeFileSync(path.join(outside, 'sae', 'cfg.json'), '{}');
writeFileSync(path.join(outside, 'features.sqlite'), '');

const dispatcher = new Dispatcher({ workspace: root, warn: () => {} });
mkdirSync(path.join(root, 'models', 'tiny'));
writeFileSync(path.join(root, 'models', 'tiny', 'config.json'), '{}');
mkdirSync(path.join(root, 'saes', 'fam', '16'), { recursive: true });
writeFileSync(path.join(root, 'saes', 'fam', '16', 'cfg.json'), '{}');
symlinkSync(path.join(outside, 'secret.txt'), path.join(root, 'datasets', 'escape.txt'));
symlinkSync(path.join(outside, 'gone.txt'), path.join(root, 'datasets', 'dangling.txt'));
symlinkSync(path.join(outside, 'model'), path.join(root, 'models', 'escape'));
symlinkSync(outside, path.join(root, 'saes', 'escape'));
symlinkSync(path.join(outside, 'sae'), path.join(root, 'saes', 'fam', 'escape'));
symlinkSync(path.join(outside, 'features.sqlite'), path.join(root, 'db', 'escape.sqlite'));

afterAll(async () => {
  await dispatcher.close();
  rmSync(base, { recursive: true, force: true });
});
afterEach(async () => {
  // A request that got past the checks would have started a job; none may have.
  expect(await dispatcher.call('jobs.list', {})).toEqual({ ok: true, result: [] });
});

async function failure(method: ApiMethod, params: unknown): Promise<ApiErrorInfo> {
  const response = await dispatcher.call(method, params);
  if (response.ok) throw new Error(`${method} succeeded with ${JSON.stringify(params)}`);
  return response.error;
}

/** The answer with the id itself blanked, to compare a refused entry's answer with a missing one's. */
async function answerFor(method: ApiMethod, params: Record<string, unknown>, field: string): Promise<ApiErrorInfo> {
  const error = await failure(method, params);
  return { code: error.code, message: error.message.replaceAll(`"${String(params[field])}"`, '"<id>"') };
}

const TRAIN = { model: 'tiny', hook: 'blocks.0.hook_resid_post', latents: [16], k: 4, tokens: 1024, family: 'new' };
const HARVEST = { model: 'tiny', family: 'fam', tokens: 1024 };

describe('request ids are workspace entries', () => {
  it('refuses a dataset path that walks out of the workspace, naming the id', async () => {
    for (const [method, params] of [['training.start', TRAIN], ['harvest.start', HARVEST]] as const) {
      for (const dataset of ['../../outside/secret.txt', path.join(outside, 'secret.txt'), 'sub/../../x.txt', '..', '.', '..\\secret.txt', 'a\0b']) {
        const error = await failure(method, { ...params, dataset });
        expect(error.code, dataset).toBe('bad_request');
        expect(error.message).toContain(`"dataset" must be a file or folder name under datasets/`);
        expect(error.message).toContain(JSON.stringify(dataset));
        expect(error.message).not.toContain('outside the workspace');
      }
    }
  });

  it('answers a dataset linked out of the workspace exactly as a missing one, whether its target exists or not', async () => {
    for (const [method, params] of [['training.start', TRAIN], ['harvest.start', HARVEST]] as const) {
      const missing = await answerFor(method, { ...params, dataset: 'missing.txt' }, 'dataset');
      expect(missing.code).toBe('not_found');
      expect(await answerFor(method, { ...params, dataset: 'escape.txt' }, 'dataset')).toEqual(missing);
      expect(await answerFor(method, { ...params, dataset: 'dangling.txt' }, 'dataset')).toEqual(missing);
    }
  });

  it('applies the same check to models, SAEs, families and databases', async () => {
    const modelMissing = await answerFor('inspect.prompt', { model: 'nope', sae: 'fam/16', text: 'hi' }, 'model');
    expect(await answerFor('inspect.prompt', { model: 'escape', sae: 'fam/16', text: 'hi' }, 'model')).toEqual(modelMissing);
    const saeMissing = await answerFor('inspect.prompt', { model: 'tiny', sae: 'fam/nope', text: 'hi' }, 'sae');
    expect(await answerFor('inspect.prompt', { model: 'tiny', sae: 'fam/escape', text: 'hi' }, 'sae')).toEqual(saeMissing);
    expect(await answerFor('inspect.prompt', { model: 'tiny', sae: 'escape/sae', text: 'hi' }, 'sae')).toEqual(saeMissing);
    const familyMissing = await answerFor('harvest.start', { ...HARVEST, family: 'nope', dataset: 'embedded:sotu' }, 'family');
    expect(await answerFor('harvest.start', { ...HARVEST, family: 'escape', dataset: 'embedded:sotu' }, 'family')).toEqual(familyMissing);
    // Outputs: a name taken by a link out of the workspace is never written through.
    const family = await failure('training.start', { ...TRAIN, dataset: 'embedded:sotu', family: 'escape', resume: true });
    expect([family.code, family.message]).toEqual(['conflict', `training.start: family "escape" already exists in ${path.join(root, 'saes')}; it leads outside the workspace or nowhere (a link); remove it or pick another name`]);
    const db = await failure('harvest.start', { ...HARVEST, dataset: 'embedded:sotu', db: 'escape.sqlite' });
    expect(db.code).toBe('conflict');
    const model = await failure('workspace.createTinyModel', { name: 'escape' });
    expect(model.code).toBe('conflict');
  });

  it('refuses ids shaped like paths before touching the file system', async () => {
    const error = await failure('features.page', { model: 'tiny', sae: 'fam/../../..', latent: 0 });
    expect(error.code).toBe('bad_request');
    expect(error.message).toContain('"sae"');
  });
});

describe('WorkspaceLayout.entry', () => {
  const layout = new WorkspaceLayout(root);

  it('tells present, absent and refused entries apart by their real paths', () => {
    expect(layout.entry('m', 'models', 'tiny')).toEqual({ path: path.join(root, 'models', 'tiny'), state: 'present' });
    expect(layout.entry('m', 'models', 'new')).toEqual({ path: path.join(root, 'models', 'new'), state: 'absent' });
    expect(layout.entry('m', 'saes', 'fam/16').state).toBe('present');
    for (const [kind, id] of [['models', 'escape'], ['datasets', 'escape.txt'], ['datasets', 'dangling.txt'], ['saes', 'escape'], ['saes', 'escape/sae'], ['db', 'escape.sqlite']] as const) {
      expect(layout.entry('m', kind, id).state, `${kind}/${id}`).toBe('refused');
    }
    expect(() => layout.entry('m', 'datasets', 'a/b')).toThrow(/m: dataset "a\/b" is not an entry of the workspace's datasets\//);
    // Datasets are files the user dropped in: any name that stays one segment.
    writeFileSync(path.join(root, 'datasets', 'State of the Union (1790-2018).txt'), 'text');
    expect(layout.entry('m', 'datasets', 'State of the Union (1790-2018).txt').state).toBe('present');
    for (const id of ['..', '.', '.hidden', 'a\\b']) expect(() => layout.entry('m', 'datasets', id), id).toThrow(/expected a file or folder name/);
    expect(() => layout.entry('m', 'saes', 'a/b/c')).toThrow(/expected "family\/size" or "name"/);
  });

  it('accepts models linked into the Hugging Face cache, where workspace.pullModel puts them', () => {
    const saved = process.env.HF_HUB_CACHE;
    process.env.HF_HUB_CACHE = path.join(base, 'hub');
    try {
      const snapshot = path.join(base, 'hub', 'models--gpt2', 'snapshots', 'c'.repeat(40));
      mkdirSync(snapshot, { recursive: true });
      symlinkSync(snapshot, path.join(root, 'models', 'gpt2'));
      expect(layout.entry('m', 'models', 'gpt2').state).toBe('present');
      // Only models: the cache is no way out for the other kinds.
      symlinkSync(snapshot, path.join(root, 'datasets', 'cached'));
      expect(layout.entry('m', 'datasets', 'cached').state).toBe('refused');
    } finally {
      if (saved === undefined) delete process.env.HF_HUB_CACHE;
      else process.env.HF_HUB_CACHE = saved;
    }
  });
});
