// lm.evaluate, lm.sample and lm.export through the dispatcher, on a tiny model of the workspace: the
// figures equal what the CLI's evaluator computes and are listed with the model; continuations are the
// model's own greedy and seeded ones; the F16 copy is a new model folder; and the refusals.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiEvent } from '../../../src-shared/api.js';
import { Dispatcher } from '../../../src-main/jobs/dispatcher.js';
import { openSafetensors } from '../../../src-main/io/safetensors.js';
import { evaluateLm, readEvalData, resolveEvalSettings } from '../../../src-main/lm/eval.js';
import { loadGpt2 } from '../../../src-main/model/load.js';
import { loadTokenizer } from '../../../src-main/tokenizer/load.js';
import { grammarCorpus, lmConfig } from '../lm/fixture.js';
import { dispatcherCalls } from './dispatcher-calls.js';

const root = mkdtempSync(path.join(tmpdir(), 'sae-lm-tools-'));
const warnings: string[] = [];
const dispatcher = new Dispatcher({ workspace: root, warn: (message) => warnings.push(message) });
const events: ApiEvent[] = [];
dispatcher.subscribe((event) => events.push(event));
const models = (...parts: string[]) => path.join(root, 'models', ...parts);

const { call, answer: refusal, finished } = dispatcherCalls(dispatcher);

/** A job that holds the queue until `open()`: what is started after it waits. */
function holdQueue(): { open: () => void } {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  dispatcher.context.jobs.start({ kind: 'harvest', title: 'hold', pausable: false, run: async () => (await gate, { wrote: [], summary: {} }) });
  return { open };
}

beforeAll(async () => {
  cpSync(grammarCorpus(), path.join(root, 'datasets', 'grammar'), { recursive: true });
  await call('workspace.createTinyModel', { name: 'tiny', layers: 1, dModel: 16, heads: 2, ctx: 16 });
  // "run": the tiny model with the run record lm train would have left, on the workspace's corpus.
  cpSync(models('tiny'), models('run'), { recursive: true });
  const record = { config: lmConfig(models('run'), { dataset: path.join(root, 'datasets', 'grammar'), evalTokens: 64 }) };
  writeFileSync(models('run', 'lm_training.json'), JSON.stringify(record));
  // "stray": a run record naming a corpus outside the workspace.
  cpSync(models('tiny'), models('stray'), { recursive: true });
  writeFileSync(models('stray', 'lm_training.json'), JSON.stringify({ config: lmConfig(models('stray'), { dataset: '/elsewhere/corpus' }) }));
}, 60_000);
afterAll(async () => {
  await dispatcher.close();
  rmSync(root, { recursive: true, force: true });
});

describe('lm.evaluate', () => {
  it('evaluates on the run\'s own dataset and split by default, keeps lm_eval.json with the model and lists the CLI evaluator\'s figures', async () => {
    expect((await call('workspace.list', {})).models.find((m) => m.id === 'run')!.evaluation).toBeNull();
    const { jobId } = await call('lm.evaluate', { model: 'run' });
    const job = await finished(jobId);
    expect(job.state, JSON.stringify(job.error)).toBe('done');
    expect(job.kind).toBe('lm-eval');
    expect(job.result!.wrote).toEqual(['model:run']);
    const progress = events.flatMap((e) => (e.type === 'job.progress' && e.jobId === jobId ? [e.progress] : []));
    expect(progress.at(-1)).toMatchObject({ done: 64, total: 64, unit: 'tokens', phase: 'measuring the model' });

    const model = await loadGpt2(models('run'));
    const settings = resolveEvalSettings(models('run'), 16);
    const expected = await evaluateLm(model, models('run'), settings, await readEvalData(settings, await loadTokenizer(models('run'))));
    model.dispose();
    const stored = JSON.parse(readFileSync(models('run', 'lm_eval.json'), 'utf8')) as Record<string, unknown>;
    expect(stored).toMatchObject({ model: 'run', dataset: 'grammar', positions: 64, holdout_every: 5, ctx: 16, model_loss: expected.modelLoss });
    const listed = (await call('workspace.list', {})).models.find((m) => m.id === 'run')!.evaluation;
    expect(listed).toEqual({
      positions: 64,
      modelLoss: expected.modelLoss,
      bigramLoss: expected.bigramLoss,
      unigramLoss: expected.unigramLoss,
      trainTokens: expected.trainTokens,
      holdoutEvery: 5,
      ctx: 16,
      dataset: 'grammar',
    });
    // A random model is worse than both baselines: the figures are measured, not copied.
    expect(listed!.modelLoss).toBeGreaterThan(listed!.unigramLoss);
    expect(listed!.bigramLoss).toBeLessThan(listed!.unigramLoss);
  });

  it('takes a chosen dataset, split and size over the run\'s', async () => {
    const { jobId } = await call('lm.evaluate', { model: 'tiny', dataset: 'grammar', holdoutEvery: 4, ctx: 8, tokens: 20 });
    expect((await finished(jobId)).state).toBe('done');
    expect((await call('workspace.list', {})).models.find((m) => m.id === 'tiny')!.evaluation).toMatchObject({ positions: 24, holdoutEvery: 4, ctx: 8, dataset: 'grammar' });
  });

  it('refuses an unknown model or dataset, a bad id, a window beyond the context and a run dataset outside the workspace', async () => {
    expect(await refusal('lm.evaluate', { model: 'nope' })).toMatch(/^not_found: lm.evaluate: no model "nope"/);
    expect(await refusal('lm.evaluate', { model: 'run', dataset: 'missing.txt' })).toMatch(/^not_found: lm.evaluate: no dataset "missing.txt"/);
    expect(await refusal('lm.evaluate', { model: '../run' })).toMatch(/^bad_request: lm.evaluate: "model" must be a name/);
    expect(await refusal('lm.evaluate', { model: 'run', dataset: '../grammar' })).toMatch(/^bad_request: lm.evaluate: "dataset" must be a file or folder name/);
    expect(await refusal('lm.evaluate', { model: 'run', ctx: 17 })).toBe('bad_request: lm.evaluate: "ctx" must be at most the model\'s context of 16 positions, got 17');
    expect(await refusal('lm.evaluate', { model: 'run', holdoutEvery: 1 })).toMatch(/^bad_request: lm.evaluate: "holdoutEvery" must be an integer ≥ 2/);
    expect(await refusal('lm.evaluate', { model: 'stray' })).toBe(
      'bad_request: lm.evaluate: model "stray" was trained on /elsewhere/corpus, which is not a dataset of this workspace; choose one in "dataset"',
    );
  });

  it('stops on cancel, writing nothing', async () => {
    // Without a run record the baselines read all of the embedded corpus: long enough to cancel in.
    const { jobId } = await call('lm.evaluate', { model: 'stray', dataset: 'embedded:sotu', tokens: 16 });
    for (let i = 0; !events.some((e) => e.type === 'job.progress' && e.jobId === jobId && e.progress.phase === 'reading embedded:sotu'); i++) {
      if (i > 1200) throw new Error('the evaluation never started reading');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await call('jobs.cancel', { jobId });
    expect((await finished(jobId)).state).toBe('cancelled');
    expect(existsSync(models('stray', 'lm_eval.json'))).toBe(false);
  });

  it('keeps the evaluation of a model linked from the Hugging Face cache beside the link, never in the shared cache', async () => {
    const cache = mkdtempSync(path.join(tmpdir(), 'sae-lm-hub-'));
    const snapshot = path.join(cache, 'models--org--tiny', 'snapshots', 'abc');
    cpSync(models('tiny'), snapshot, { recursive: true, filter: (source) => path.basename(source) !== 'lm_eval.json' });
    symlinkSync(snapshot, models('linked'), 'dir');
    const before = process.env.HF_HUB_CACHE;
    process.env.HF_HUB_CACHE = cache;
    try {
      const job = await finished((await call('lm.evaluate', { model: 'linked', dataset: 'grammar', tokens: 16 })).jobId);
      expect(job.state, JSON.stringify(job.error)).toBe('done');
      expect(readdirSync(snapshot)).not.toContain('lm_eval.json');
      expect(JSON.parse(readFileSync(models('.linked.lm_eval.json'), 'utf8'))).toMatchObject({ model: 'linked', dataset: 'grammar', positions: 16 });
      const listing = await call('workspace.list', {});
      expect(listing.models.find((m) => m.id === 'linked')!.evaluation).toMatchObject({ positions: 16, dataset: 'grammar' });
      expect(listing.models.map((m) => m.id)).not.toContain('.linked.lm_eval.json');
    } finally {
      if (before === undefined) delete process.env.HF_HUB_CACHE;
      else process.env.HF_HUB_CACHE = before;
      rmSync(models('linked'));
      rmSync(models('.linked.lm_eval.json'));
      rmSync(cache, { recursive: true, force: true });
    }
  });

  it('lists a broken lm_eval.json as no evaluation, with a warning, and keeps the model usable', async () => {
    cpSync(models('tiny'), models('broken'), { recursive: true });
    writeFileSync(models('broken', 'lm_eval.json'), JSON.stringify({ model_loss: 'low' }));
    const listed = (await call('workspace.list', {})).models.find((m) => m.id === 'broken')!;
    expect(listed).toMatchObject({ id: 'broken', nLayers: 1, evaluation: null });
    expect(warnings.some((w) => /^ignored .*broken[/\\]lm_eval\.json: "positions" must be a number, got undefined; re-evaluate the model to rewrite it$/.test(w))).toBe(true);
    rmSync(models('broken'), { recursive: true });
  });
});

describe('lm.sample', () => {
  it('continues each prompt after BOS as the model\'s greedy decoding does, and reproduces a seeded sample', async () => {
    const { continuations } = await call('lm.sample', { model: 'tiny', prompts: ['The cat', 'A bird'], maxTokens: 4 });
    const model = await loadGpt2(models('tiny'));
    const tokenizer = await loadTokenizer(models('tiny'));
    try {
      expect(continuations.map((c) => [c.prompt, c.seed, c.ids.length])).toEqual([['The cat', null, 4], ['A bird', null, 4]]);
      const ids = [tokenizer.eotId, ...tokenizer.encode('The cat')];
      expect(continuations[0]!.ids).toEqual(model.generate(ids, { maxNewTokens: 4, temperature: 0 }).slice(ids.length));
      expect(continuations[0]!.text).toBe(tokenizer.decode(continuations[0]!.ids));
      const plain = (await call('lm.sample', { model: 'tiny', prompts: ['The cat'], maxTokens: 4, bos: false })).continuations[0]!;
      const body = tokenizer.encode('The cat');
      expect(plain.ids).toEqual(model.generate(body, { maxNewTokens: 4, temperature: 0 }).slice(body.length));
    } finally {
      model.dispose();
    }
    const sampled = { model: 'tiny', prompts: ['The'], maxTokens: 6, temperature: 1, topK: 50, samples: 2, seed: 11 };
    const a = await call('lm.sample', sampled);
    expect(a.continuations.map((c) => c.seed)).toEqual([11, 12]);
    expect(a.continuations[0]!.ids).not.toEqual(a.continuations[1]!.ids);
    expect(await call('lm.sample', sampled)).toEqual(a);
  });

  it('refuses bad sampling options, too much text, a prompt beyond the context and an unknown model', async () => {
    const base = { model: 'tiny', prompts: ['The'] };
    expect(await refusal('lm.sample', { ...base, samples: 2 })).toBe('bad_request: lm.sample: "samples" = 2 needs "temperature" above 0: greedy decoding gives the same text every time');
    expect(await refusal('lm.sample', { ...base, temperature: -1 })).toMatch(/^bad_request: lm.sample: "temperature" must be a number ≥ 0 ≤ 10, got -1/);
    expect(await refusal('lm.sample', { ...base, topK: 0, temperature: 1 })).toMatch(/^bad_request: lm.sample: "topK" must be an integer ≥ 1, got 0/);
    expect(await refusal('lm.sample', { ...base, topK: 60000, temperature: 1, maxTokens: 2 })).toBe('bad_request: lm.sample: topK must be an integer in 1..50257, got 60000');
    expect(await refusal('lm.sample', { ...base, maxTokens: 257 })).toMatch(/^bad_request: lm.sample: "maxTokens" must be an integer ≥ 1 ≤ 256, got 257/);
    expect(await refusal('lm.sample', { ...base, prompts: [] })).toMatch(/^bad_request: lm.sample: "prompts" must be a list of at least 1 and at most 8 strings/);
    expect(await refusal('lm.sample', { ...base, prompts: Array(8).fill('x'), samples: 8, temperature: 1, maxTokens: 40 })).toBe(
      'bad_request: lm.sample: 8 prompts × 8 samples × 40 tokens = 2560 new tokens, more than 1024; ask for fewer',
    );
    expect(await refusal('lm.sample', { ...base, maxTokens: 40 })).toBe("bad_request: lm.sample: the prompt is 2 tokens with BOS plus 40 new tokens, more than the model's context of 16; shorten it");
    expect(await refusal('lm.sample', { ...base, model: 'nope' })).toMatch(/^not_found: lm.sample: no model "nope"/);
  });
});

describe('lm.export', () => {
  it('writes an F16 copy as a new model folder, listed with its provenance, the run record kept and the evaluation not', async () => {
    const { jobId } = await call('lm.export', { model: 'run', name: 'run-f16' });
    const job = await finished(jobId);
    expect(job.state, JSON.stringify(job.error)).toBe('done');
    expect(job.kind).toBe('lm-export');
    expect(job.result!.wrote).toEqual(['model:run-f16']);
    const st = openSafetensors(models('run-f16', 'model.safetensors'));
    expect(new Set(st.names().map((n) => st.info(n).dtype))).toEqual(new Set(['F16']));
    expect(readFileSync(models('run-f16', 'lm_training.json'), 'utf8')).toBe(readFileSync(models('run', 'lm_training.json'), 'utf8'));
    expect(existsSync(models('run-f16', 'lm_eval.json'))).toBe(false);
    const listed = (await call('workspace.list', {})).models.find((m) => m.id === 'run-f16');
    expect(listed).toMatchObject({ nLayers: 1, dModel: 16, nCtx: 16, provenance: 'F16 copy of run', evaluation: null });
    (await loadGpt2(models('run-f16'))).dispose();

    const f32 = await finished((await call('lm.export', { model: 'run-f16', name: 'run-f32', dtype: 'f32' })).jobId);
    expect(f32.result!.summary).toMatchObject({ dtype: 'F32' });
    expect(openSafetensors(models('run-f32', 'model.safetensors')).info('wte.weight').dtype).toBe('F32');
  });

  it('refuses an existing name, a bad name or dtype and an unknown model; a name taken while queued is left as it is', async () => {
    expect(await refusal('lm.export', { model: 'run', name: 'tiny' })).toMatch(/^conflict: lm.export: model "tiny" already exists/);
    expect(await refusal('lm.export', { model: 'run', name: '../out' })).toMatch(/^bad_request: lm.export: "name" must be a name of letters/);
    expect(await refusal('lm.export', { model: 'run', name: 'x', dtype: 'bf16' })).toBe('bad_request: lm.export: "dtype" must be one of f16, f32, got "bf16"');
    expect(await refusal('lm.export', { model: 'nope', name: 'x' })).toMatch(/^not_found: lm.export: no model "nope"/);

    const queue = holdQueue();
    const { jobId } = await call('lm.export', { model: 'run', name: 'late' });
    mkdirSync(models('late'));
    writeFileSync(models('late', 'mine.txt'), 'kept');
    queue.open();
    const job = await finished(jobId);
    expect(job.state).toBe('failed');
    expect(job.error!.message).toMatch(/late already exists; choose a new folder \(the conversion never overwrites\)$/);
    expect(readFileSync(models('late', 'mine.txt'), 'utf8')).toBe('kept');
    expect(existsSync(models('late', 'model.safetensors'))).toBe(false);
    expect(readdirSync(models()).filter((name) => name.startsWith('.late'))).toEqual([]);
  });
});

describe('lm.curve', () => {
  it('gives the run record\'s held-out and training loss, with the bigram of the model\'s stored evaluation', async () => {
    cpSync(models('tiny'), models('curved'), { recursive: true });
    // tiny was evaluated above; 'curved' starts without an evaluation.
    rmSync(models('curved', 'lm_eval.json'), { force: true });
    const heldOut = [{ step: 10, tokens: 1280, loss: 7.1 }, { step: 20, tokens: 2560, loss: 6.2 }];
    const train = [{ step: 5, tokens: 640, loss: 9.5 }, { step: 15, tokens: 1920, loss: 6.8 }];
    writeFileSync(models('curved', 'lm_training.json'), JSON.stringify({ config: {}, result: { unigramLoss: 6.6 }, heldOut, train }));
    expect(await call('lm.curve', { model: 'curved' })).toEqual({ model: 'curved', heldOut, train, unigramLoss: 6.6, bigramLoss: null });
    // The first test left 'run' evaluated: its stored figures, beside this record, give the bigram.
    cpSync(models('run', 'lm_eval.json'), models('curved', 'lm_eval.json'));
    const evaluated = (await call('workspace.list', {})).models.find((m) => m.id === 'curved')!.evaluation!;
    expect((await call('lm.curve', { model: 'curved' })).bigramLoss).toBe(evaluated.bigramLoss);
  });

  it('refuses a model the app did not pretrain, a record without a curve, and an unknown model', async () => {
    expect(await refusal('lm.curve', { model: 'tiny' })).toMatch(/^not_found: lm.curve: model "tiny" has no lm_training.json: only a model the app pretrained/);
    expect(await refusal('lm.curve', { model: 'stray' })).toMatch(/^bad_request: lm.curve: .*lm_training.json: "heldOut" must be a non-empty list/);
    expect(await refusal('lm.curve', { model: 'nope' })).toMatch(/^not_found: lm.curve: no model "nope"/);
  });
});
