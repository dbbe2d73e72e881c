// saes.import and datasets.add/preview through the dispatcher, on uploads received as browser mode and
// the desktop dialog receive them: a release folder of SAELens and sparsify SAEs becomes one family,
// an OpenAI file a family of one; datasets are read before they are kept; and the refusals.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ApiMethod, JobInfo, ParamsOf, ResultOf } from '../../../src-shared/api.js';
import { Dispatcher } from '../../../src-main/jobs/dispatcher.js';
import { receiveUpload } from '../../../src-main/jobs/workspace/uploads.js';
import { writeSafetensors } from '../../../src-main/io/safetensors.js';
import { loadSaeLens, saveSaeLens } from '../../../src-main/sae/formats/saelens.js';
import { saveSparsify } from '../../../src-main/sae/formats/sparsify.js';
import { loadTokenizer } from '../../../src-main/tokenizer/load.js';
import { randomTopKSae } from '../features/harvest-fixtures.js';
import { tensor } from '../../fixtures/sae/folders.js';
import { randomArray, seededRandom } from '../../fixtures/sae/random-bundle.js';
import { readSetFile } from '../../../src-main/features/comparable-set.js';

const root = mkdtempSync(path.join(tmpdir(), 'sae-imports-'));
const scratch = mkdtempSync(path.join(tmpdir(), 'sae-imports-src-'));
const dispatcher = new Dispatcher({ workspace: root, warn: () => {} });
afterAll(async () => {
  await dispatcher.close();
  rmSync(root, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

async function call<M extends ApiMethod>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
  const response = await dispatcher.call(method, params);
  if (!response.ok) throw new Error(`${method}: ${response.error.code}: ${response.error.message}`);
  return response.result as ResultOf<M>;
}

async function refused(method: ApiMethod, params: unknown): Promise<{ code: string; message: string }> {
  const response = await dispatcher.call(method, params);
  if (response.ok) throw new Error(`${method} was not refused`);
  return response.error;
}

async function finished(jobId: string): Promise<JobInfo> {
  for (;;) {
    const job = (await call('jobs.list', {})).find((j) => j.id === jobId)!;
    if (['done', 'failed', 'cancelled'].includes(job.state)) return job;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Uploads every file under `dir` (paths relative to its parent, as a browser sends a dropped folder). */
async function uploadFolder(dir: string): Promise<string> {
  const files: string[] = [];
  const walk = (at: string): void => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const full = path.join(at, entry.name);
      if (entry.isDirectory()) walk(full);
      else files.push(full);
    }
  };
  walk(dir);
  const manifest = files.map((file) => ({ path: path.relative(path.dirname(dir), file).split(path.sep).join('/'), size: readFileSync(file).length }));
  async function* body(): AsyncGenerator<Uint8Array> {
    for (const file of files) yield readFileSync(file);
  }
  return (await receiveUpload(dispatcher.context.workspace, manifest, body())).upload;
}

async function uploadText(name: string, text: string): Promise<string> {
  const bytes = Buffer.from(text, 'utf8');
  async function* body(): AsyncGenerator<Uint8Array> {
    yield bytes;
  }
  return (await receiveUpload(dispatcher.context.workspace, [{ path: name, size: bytes.length }], body())).upload;
}

const uploadsLeft = (): string[] => readdirSync(path.join(root, 'uploads'));

describe('saes.import', () => {
  it('imports a release folder of a SAELens and a sparsify SAE at one site as one family, and removes the upload', async () => {
    const release = path.join(scratch, 'my-release');
    const small = randomTopKSae(8, 1, 2);
    const large = randomTopKSae(16, 2, 3);
    saveSaeLens(path.join(release, 'blocks.1.hook_resid_post', 'small'), small);
    saveSparsify(path.join(release, 'sparsify-run', 'layers.1'), large);
    const upload = await uploadFolder(release);
    const { jobId } = await call('saes.import', { name: 'imported', upload });
    const job = await finished(jobId);
    expect(job.state, JSON.stringify(job.error)).toBe('done');
    expect(job.kind).toBe('sae-import');
    expect(job.result).toMatchObject({ wrote: ['sae:imported/8', 'sae:imported/16'], summary: { sizes: '8,16', hook: 'blocks.1.hook_resid_post', formats: 'saelens,sparsify' } });

    const listing = await call('workspace.list', {});
    expect(listing.families.find((f) => f.id === 'imported')).toMatchObject({ sizes: [8, 16], saes: ['imported/8', 'imported/16'], hookName: 'blocks.1.hook_resid_post' });
    const back = loadSaeLens(path.join(root, 'saes', 'imported', '16'));
    expect(Array.from(back.weights.W_dec)).toEqual(Array.from(large.weights.W_dec));
    expect(back.spec.k).toBe(3);
    expect(JSON.parse(readFileSync(path.join(root, 'saes', 'imported', 'provenance.json'), 'utf8'))).toMatchObject({
      source: `imported from upload ${upload}`,
      members: [{ from: 'my-release/blocks.1.hook_resid_post/small', format: 'saelens', d_sae: 8 }, { from: 'my-release/sparsify-run/layers.1', format: 'sparsify', d_sae: 16 }],
    });
    // The family record harvest reads: its members, smallest first.
    const set = readSetFile(path.join(root, 'saes', 'imported'));
    expect(set).toMatchObject({ kind: 'sizes', members: [{ path: path.join(root, 'saes', 'imported', '8') }, { path: path.join(root, 'saes', 'imported', '16') }] });
    expect(uploadsLeft()).toEqual([]);
  });

  it('imports one OpenAI state dict as a family of one, with the hook given', async () => {
    const rand = seededRandom(8);
    const [d, n] = [16, 40];
    const file = path.join(scratch, '1.safetensors');
    writeSafetensors(file, {
      pre_bias: tensor([d], randomArray(d, rand, 0.3)),
      latent_bias: tensor([n], randomArray(n, rand, 0.2)),
      'encoder.weight': tensor([n, d], randomArray(n * d, rand)),
      'decoder.weight': tensor([d, n], randomArray(d * n, rand)),
      stats_last_nonzero: tensor([n], new Float32Array(n)),
    });
    const bytes = readFileSync(file);
    async function* body(): AsyncGenerator<Uint8Array> {
      yield bytes;
    }
    const { upload } = await receiveUpload(dispatcher.context.workspace, [{ path: '1.safetensors', size: bytes.length }], body());
    const job = await finished((await call('saes.import', { name: 'oai', upload, hook: 'blocks.1.hook_resid_post', k: 4 })).jobId);
    expect(job.state, JSON.stringify(job.error)).toBe('done');
    expect((await call('workspace.list', {})).saes.find((s) => s.id === 'oai/40')).toMatchObject({ family: 'oai', dIn: 16, dSae: 40, k: 4, hookName: 'blocks.1.hook_resid_post' });
  });

  it('fails the job, writing nothing, when the SAEs are not at one site or repeat a size', async () => {
    const mixed = path.join(scratch, 'mixed');
    saveSaeLens(path.join(mixed, 'a'), randomTopKSae(8, 1, 2));
    const other = randomTopKSae(16, 2, 3);
    other.spec.hookName = 'blocks.0.hook_resid_post';
    saveSaeLens(path.join(mixed, 'b'), other);
    let job = await finished((await call('saes.import', { name: 'mixed', upload: await uploadFolder(mixed) })).jobId);
    expect(job.state).toBe('failed');
    expect(job.error!.message).toMatch(/mixed\/b reads blocks\.0\.hook_resid_post \(d_in 16\) but mixed\/a reads blocks\.1\.hook_resid_post \(d_in 16\); a family is one site/);

    const twins = path.join(scratch, 'twins');
    saveSaeLens(path.join(twins, 'a'), randomTopKSae(8, 1, 2));
    saveSaeLens(path.join(twins, 'b'), randomTopKSae(8, 3, 2));
    job = await finished((await call('saes.import', { name: 'twins', upload: await uploadFolder(twins) })).jobId);
    expect(job.error!.message).toMatch(/twins\/b and twins\/a both have d_sae 8/);

    const empty = path.join(scratch, 'nothing');
    saveSaeLens(path.join(scratch, 'unused'), randomTopKSae(8, 1, 2));
    job = await finished((await call('saes.import', { name: 'nothing', upload: await uploadText('notes.txt', 'no SAE here') })).jobId);
    expect(job.error!.message).toMatch(/upload up-[\w-]+ holds no SAE: expected a SAELens folder/);
    expect(existsSync(empty)).toBe(false);

    const saes = readdirSync(path.join(root, 'saes'));
    expect(saes.filter((name) => ['mixed', 'twins', 'nothing'].includes(name) || name.includes('tmp'))).toEqual([]);
    expect(uploadsLeft()).toEqual([]);
  });

  it('refuses bad names, paths for ids, both or neither source, unknown uploads and taken names', async () => {
    const upload = await uploadText('x.txt', 'x');
    expect(await refused('saes.import', { name: '../up', upload })).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/"name" must be a name of letters/) });
    expect(await refused('saes.import', { name: 'a', upload: '../../etc' })).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/"upload" must be a name/) });
    expect(await refused('saes.import', { name: 'a' })).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/exactly one of "upload" .* and "hub"/) });
    expect(await refused('saes.import', { name: 'a', upload, hub: 'org/repo' })).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/exactly one/) });
    expect(await refused('saes.import', { name: 'a', hub: '/etc/passwd' })).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/"hub" must be a Hub SAE folder/) });
    expect(await refused('saes.import', { name: 'a', hub: 'org/repo/../../x' })).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/"hub" must be a Hub SAE folder/) });
    expect(await refused('saes.import', { name: 'a', upload, k: 0 })).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/"k" must be an integer ≥ 1/) });
    expect(await refused('saes.import', { name: 'a', upload, hook: 'blocks.1; rm' })).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/"hook" must be a TransformerLens hook name/) });
    expect(await refused('saes.import', { name: 'a', upload: 'up-gone' })).toMatchObject({ code: 'not_found', message: expect.stringMatching(/no upload "up-gone"/) });
    expect(await refused('saes.import', { name: 'imported', upload })).toMatchObject({ code: 'conflict', message: expect.stringMatching(/SAE family "imported" already exists/) });
    // A refused request leaves the upload for a corrected one.
    expect(uploadsLeft()).toEqual([upload]);
    rmSync(path.join(root, 'uploads', upload), { recursive: true });
  });
});

describe('datasets.add and datasets.preview', () => {
  const text = 'The first document of the corpus.\n\nIt has two paragraphs.';

  it('adds an uploaded .txt under its name and previews it with the exact token count', async () => {
    const entry = await call('datasets.add', { upload: await uploadText('speech.txt', text) });
    expect(entry).toMatchObject({ id: 'speech.txt', kind: 'txt', sizeBytes: Buffer.byteLength(text) });
    expect((await call('workspace.list', {})).datasets.map((d) => d.id)).toContain('speech.txt');
    const preview = await call('datasets.preview', { dataset: 'speech.txt' });
    const tokens = (await loadTokenizer()).encode(text).length;
    expect(preview).toEqual({ dataset: 'speech.txt', documents: [{ text, chars: text.length }], sample: { documents: 1, bytes: Buffer.byteLength(text), tokens }, complete: true, tokens, sizeBytes: Buffer.byteLength(text) });
    expect(uploadsLeft()).toEqual([]);
  });

  it('keeps a .jsonl under a chosen name, its extension kept, and estimates the embedded corpus from a sample', async () => {
    const lines = ['{"text": "alpha beta"}', '{"text": "gamma"}'].join('\n');
    expect(await call('datasets.add', { upload: await uploadText('raw.jsonl', lines), name: 'notes' })).toMatchObject({ id: 'notes.jsonl', kind: 'jsonl' });
    expect((await call('datasets.preview', { dataset: 'notes.jsonl', documents: 1 })).documents).toEqual([{ text: 'alpha beta', chars: 10 }]);
    const sotu = await call('datasets.preview', { dataset: 'embedded:sotu' });
    expect(sotu.complete).toBe(false);
    expect(sotu.documents).toHaveLength(5);
    expect(sotu.documents[0]!.text.length).toBeLessThanOrEqual(2000);
    // Tokens per byte of the sample, times the corpus's bytes: the addresses are ~10 MB of English, ~4.5 bytes a token.
    expect(sotu.tokens).toBe(Math.round((sotu.sample.tokens / sotu.sample.bytes) * sotu.sizeBytes));
    expect(sotu.tokens).toBeGreaterThan(1_000_000);
  });

  it('refuses files it cannot read as a corpus and keeps nothing of them', async () => {
    expect(await refused('datasets.add', { upload: await uploadText('weights.bin', 'x') })).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/weights\.bin is not a dataset file; expected \.txt, \.jsonl/) });
    expect(await refused('datasets.add', { upload: await uploadText('bad.jsonl', '{"text": "ok"}\nnot json') })).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/bad\.jsonl cannot be read as a corpus: .*bad\.jsonl:2: not valid JSON/) });
    expect(await refused('datasets.add', { upload: await uploadText('latin1.txt', '') })).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/latin1\.txt cannot be read as a corpus: it holds no documents/) });
    expect(await refused('datasets.add', { upload: await uploadText('again.txt', 'x'), name: 'speech.txt' })).toMatchObject({ code: 'conflict', message: expect.stringMatching(/dataset "speech\.txt" already exists/) });
    expect(await refused('datasets.add', { upload: await uploadText('x.txt', 'x'), name: '../x.txt' })).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/"name" must be a file or folder name/) });
    expect(await refused('datasets.add', { upload: 'up-gone' })).toMatchObject({ code: 'not_found' });
    const datasets = readdirSync(path.join(root, 'datasets'));
    expect(datasets.sort()).toEqual(['notes.jsonl', 'speech.txt']);
    // The uploads refused for their name stay for a corrected request; the rest were used up.
    expect(uploadsLeft()).toHaveLength(2);
  });

  it('refuses previews of missing or path-shaped datasets and bad Hub specs', async () => {
    expect(await refused('datasets.preview', { dataset: 'none.txt' })).toMatchObject({ code: 'not_found' });
    expect(await refused('datasets.preview', { dataset: '../etc/passwd' })).toMatchObject({ code: 'bad_request' });
    expect(await refused('datasets.preview', { dataset: 'speech.txt', documents: 51 })).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/"documents" must be an integer ≥ 0 ≤ 50/) });
    expect(await refused('datasets.pull', { hub: 'owner/name/../../x.parquet', name: 'd' })).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/must not hold empty, "\." or "\.\." parts/) });
    expect(await refused('datasets.pull', { hub: 'owner/name', name: 'd' })).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/"hub" must be Hub dataset files like/) });
    expect(await refused('datasets.pull', { hub: 'owner/name/a.parquet', name: 'a/b' })).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/"name" must be a name/) });
    expect(await refused('datasets.pull', { hub: 'owner/name/a.parquet', name: 'speech.txt' })).toMatchObject({ code: 'conflict', message: expect.stringMatching(/dataset "speech\.txt" already exists/) });
  });
});
