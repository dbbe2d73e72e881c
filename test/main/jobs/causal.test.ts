// The causal requests (steer, attribution, attention) through the dispatcher, on a workspace with a
// tiny model and a random top-k SAE: the same results as the library calls, and bad params refused.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STEER_STREAM_WINDOW, type ApiMethod, type ParamsOf, type ResultOf, type SteerStreamRef, type SteerStreamUpdate } from '../../../src-shared/api.js';
import { Dispatcher } from '../../../src-main/jobs/dispatcher.js';
import { MAX_PRESETS } from '../../../src-main/jobs/handlers/steer.js';
import { saveSaeLens } from '../../../src-main/sae/formats/saelens.js';
import { D_MODEL, randomTopKSae } from '../features/harvest-fixtures.js';

const root = mkdtempSync(path.join(tmpdir(), 'sae-causal-'));
const dispatcher = new Dispatcher({ workspace: root, warn: () => {} });
const MODEL = 'tiny';
const SAE = 'fam/32';

beforeAll(async () => {
  await call('workspace.createTinyModel', { name: MODEL, layers: 2, dModel: D_MODEL, heads: 2, ctx: 64 });
  saveSaeLens(path.join(root, 'saes', 'fam', '32'), randomTopKSae(32, 9, 4));
});
afterAll(async () => {
  await dispatcher.close();
  rmSync(root, { recursive: true, force: true });
});

async function call<M extends ApiMethod>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
  const response = await dispatcher.call(method, params);
  if (!response.ok) throw new Error(`${method}: ${response.error.code}: ${response.error.message}`);
  return response.result as ResultOf<M>;
}

describe('steer.generate', () => {
  it('returns both completions; strength 0 leaves the text as it is, a strong push changes it', async () => {
    const base = { model: MODEL, sae: SAE, prompt: 'The dog ran to', latents: [3, 7], maxNewTokens: 6 };
    const still = await call('steer.generate', { ...base, strength: 0 });
    expect(still.promptTokens).toEqual(['The', '·dog', '·ran', '·to']);
    expect(still.baseline.ids).toHaveLength(6);
    expect(still.steered).toEqual(still.baseline);
    expect(still.baseline.tokens).toHaveLength(6);
    const pushed = await call('steer.generate', { ...base, strength: 30 });
    expect(pushed.baseline).toEqual(still.baseline);
    expect(pushed.steered.ids).not.toEqual(pushed.baseline.ids);
    const sampled = await call('steer.generate', { ...base, strength: 0, temperature: 1, seed: 4 });
    expect(sampled.seed).toBe(4);
    expect(sampled.steered).toEqual(sampled.baseline);
  });

  it('refuses bad params, naming the field', async () => {
    const base = { model: MODEL, sae: SAE, prompt: 'Hi', latents: [3], strength: 1 };
    await expect(call('steer.generate', { ...base, latents: [] })).rejects.toThrow(/bad_request: .*"latents" must be a list of at least 1 integers/);
    await expect(call('steer.generate', { ...base, latents: [32] })).rejects.toThrow(/bad_request: steer.generate: latents\[0\] is 32; the SAE has latents 0..31/);
    await expect(call('steer.generate', { ...base, mode: 'scale' as never })).rejects.toThrow(/"mode" must be one of add, clamp/);
    await expect(call('steer.generate', { ...base, maxNewTokens: 64 })).rejects.toThrow(/plus 64 new tokens, more than the model's context of 64/);
    await expect(call('steer.generate', { ...base, sae: 'fam/99' })).rejects.toThrow(/not_found: steer.generate: no SAE "fam\/99"/);
  });
});

/** The updates of stream `streamId` until its final one, acknowledging each when `ack` is set. */
function followStream(on: Dispatcher, start: Promise<{ streamId: string }>, ack: boolean, onUpdate: (u: SteerStreamUpdate) => void = () => {}): Promise<SteerStreamUpdate[]> {
  // Updates may come before the answer with the id (as over IPC and HTTP), so they are kept until it is known.
  const seen: SteerStreamUpdate[] = [];
  let id: string | undefined;
  return new Promise((resolve, reject) => {
    const check = (u: SteerStreamUpdate): void => {
      if (u.streamId !== id) return;
      onUpdate(u);
      if (u.state !== 'running') {
        unsubscribe();
        resolve(seen.filter((s) => s.streamId === id));
      } else if (ack) void on.call('steer.ack', { streamId: id, received: u.step });
    };
    const unsubscribe = on.subscribe((event) => {
      if (event.type !== 'steer.stream') return;
      seen.push(event.update);
      check(event.update);
    });
    start.then((ref) => {
      id = ref.streamId;
      seen.filter((u) => u.streamId === id).forEach(check);
    }, reject);
  });
}

describe('steer.stream', () => {
  const params = { model: MODEL, sae: SAE, prompt: 'The dog ran to', latents: [3, 7], strength: 30, maxNewTokens: 6 };

  it('sends both completions a token at a time, ending with what steer.generate answers', async () => {
    const updates = await followStream(dispatcher, call('steer.stream', params), true);
    const whole = await call('steer.generate', params);
    expect(updates.map((u) => [u.state, u.step, u.result.baseline.ids.length, u.result.steered.ids.length])).toEqual([
      ['running', 1, 1, 1], ['running', 2, 2, 2], ['running', 3, 3, 3], ['running', 4, 4, 4], ['running', 5, 5, 5], ['running', 6, 6, 6], ['done', 6, 6, 6],
    ]);
    expect(updates.every((u) => u.total === 6 && u.error === null)).toBe(true);
    expect(updates.at(-1)!.result).toEqual(whole);
    expect(updates[2]!.result.steered.tokens).toEqual(whole.steered.tokens.slice(0, 3));
  });

  it('runs at most the window ahead of its reader, and stops when the reader is gone', async () => {
    const leased = new Dispatcher({ workspace: root, warn: () => {}, streams: { window: 2, leaseMs: 0 } });
    try {
      const updates = await followStream(leased, leased.call('steer.stream', params).then((r) => (r.ok ? (r.result as SteerStreamRef) : Promise.reject(new Error(r.error.message)))), false);
      expect(updates.map((u) => [u.state, u.step])).toEqual([['running', 1], ['running', 2], ['cancelled', 2]]);
      expect(updates.at(-1)!.error).toEqual({ code: 'cancelled', message: expect.stringMatching(/^stream steer-1 stopped: no client acknowledged piece 1 of it within 0 s/) });
      expect(updates.at(-1)!.result.baseline.ids).toHaveLength(2);
    } finally {
      await leased.close();
    }
  });

  it('stops when the compute process shuts down, freeing the model it holds', async () => {
    const closing = new Dispatcher({ workspace: root, warn: () => {}, streams: { window: 2, leaseMs: 600_000 } });
    let closed: Promise<void> | undefined;
    const start = closing.call('steer.stream', params).then((r) => (r.ok ? (r.result as SteerStreamRef) : Promise.reject(new Error(r.error.message))));
    const updates = await followStream(closing, start, false, (u) => {
      if (u.step === 2 && u.state === 'running') closed = closing.close();
    });
    await closed;
    expect(updates.at(-1)!.state).toBe('cancelled');
    expect(updates.at(-1)!.error!.message).toMatch(/^stream steer-1 stopped: the compute process is shutting down/);
  });

  it('stops on cancel, answering other requests meanwhile; a finished stream is forgotten', async () => {
    let cancelled: Promise<unknown> | undefined;
    const start = call('steer.stream', { ...params, maxNewTokens: 40 });
    const updates = await followStream(dispatcher, start, false, (u) => {
      if (u.step !== 1 || cancelled) return;
      // The stream waits for an ack after the window; the compute side still answers.
      cancelled = call('workspace.list', {}).then(() => call('steer.cancel', { streamId: u.streamId }));
    });
    await cancelled;
    const last = updates.at(-1)!;
    expect(last.state).toBe('cancelled');
    expect(last.error).toEqual({ code: 'cancelled', message: `stream ${last.streamId} was cancelled` });
    expect(last.step).toBeLessThanOrEqual(STEER_STREAM_WINDOW);
    await expect(call('steer.ack', { streamId: last.streamId, received: 1 })).rejects.toThrow(`not_found: steer.ack: no running stream "${last.streamId}"`);
  });

  it('refuses bad params in its answer, before any update', async () => {
    await expect(call('steer.stream', { ...params, latents: [32] })).rejects.toThrow(/bad_request: steer.stream: latents\[0\] is 32; the SAE has latents 0..31/);
    await expect(call('steer.stream', { ...params, sae: 'fam/99' })).rejects.toThrow(/not_found: steer.stream: no SAE "fam\/99"/);
    await expect(call('steer.cancel', { streamId: 'steer-999' })).rejects.toThrow(/not_found/);
  });
});

describe('steer presets', () => {
  const presetsFile = path.join(root, 'steer', 'presets.json');
  const preset = { name: 'dogs', model: MODEL, sae: SAE, prompt: 'The dog ran to', latents: [3, 7], strength: 12, mode: 'clamp' as const, fromPosition: 1, maxNewTokens: 6, temperature: 0.7, seed: 9 };

  it('saves, replaces by name, lists after a restart and deletes, in one JSON file in the workspace', async () => {
    expect(await call('steer.listPresets', {})).toEqual([]);
    expect(await call('steer.savePreset', preset)).toEqual([preset]);
    const cats = { name: 'cats', model: MODEL, sae: SAE, prompt: 'A cat', latents: [1], strength: -4 };
    await call('steer.savePreset', cats);
    const changed = { ...preset, strength: 20 };
    expect(await call('steer.savePreset', changed)).toEqual([changed, cats]);
    expect(JSON.parse(readFileSync(presetsFile, 'utf8'))).toEqual({ presets: [changed, cats] });
    expect(readdirSync(path.dirname(presetsFile))).toEqual(['presets.json']);
    const restarted = new Dispatcher({ workspace: root, warn: () => {} });
    try {
      expect(await restarted.call('steer.listPresets', {})).toEqual({ ok: true, result: [changed, cats] });
    } finally {
      await restarted.close();
    }
    expect(await call('steer.deletePreset', { name: 'dogs' })).toEqual([cats]);
    await expect(call('steer.deletePreset', { name: 'dogs' })).rejects.toThrow(/not_found: steer.deletePreset: no preset "dogs" in .*presets.json \(have: cats\)/);
    expect(await call('steer.deletePreset', { name: 'cats' })).toEqual([]);
  });

  it('refuses a bad name, an unknown model or SAE, bad params and oversize input, leaving the file as it was', async () => {
    await call('steer.savePreset', preset);
    const before = readFileSync(presetsFile, 'utf8');
    await expect(call('steer.savePreset', { ...preset, name: '../escape' })).rejects.toThrow(/bad_request: steer.savePreset: "name" must be a name of letters, digits/);
    await expect(call('steer.savePreset', { ...preset, name: '' })).rejects.toThrow(/bad_request: steer.savePreset: "name"/);
    await expect(call('steer.savePreset', { ...preset, sae: 'fam/99' })).rejects.toThrow(/not_found: steer.savePreset: no SAE "fam\/99"/);
    await expect(call('steer.savePreset', { ...preset, model: 'nope' })).rejects.toThrow(/not_found: steer.savePreset: no model "nope"/);
    await expect(call('steer.savePreset', { ...preset, mode: 'scale' as never })).rejects.toThrow(/"mode" must be one of add, clamp/);
    await expect(call('steer.savePreset', { ...preset, prompt: 'x'.repeat(20_001) })).rejects.toThrow(/bad_request: steer.savePreset: "prompt"/);
    await expect(call('steer.deletePreset', { name: 'a/b' })).rejects.toThrow(/bad_request: steer.deletePreset: "name"/);
    expect(readFileSync(presetsFile, 'utf8')).toBe(before);
    for (let i = 1; i < MAX_PRESETS; i++) await call('steer.savePreset', { ...preset, name: `p${i}` });
    await expect(call('steer.savePreset', { ...preset, name: 'one-more' })).rejects.toThrow(new RegExp(`conflict: steer.savePreset: the workspace already keeps ${MAX_PRESETS} presets`));
    // Replacing a taken name is still allowed when full.
    expect(await call('steer.savePreset', { ...preset, name: 'p1', strength: 1 })).toHaveLength(MAX_PRESETS);
    rmSync(presetsFile);
  });

  it('names the file when it was hand-edited into something that is not a preset list, and writes nothing', async () => {
    writeFileSync(presetsFile, '{"presets": [');
    await expect(call('steer.listPresets', {})).rejects.toThrow(/conflict: steer.listPresets: .*presets.json is not JSON .*; fix or remove it/);
    writeFileSync(presetsFile, JSON.stringify({ presets: [{ ...preset, latents: 'three' }] }));
    await expect(call('steer.savePreset', { ...preset, name: 'other' })).rejects.toThrow(/conflict: steer.savePreset: .*presets.json, preset 0: "latents" must be a list.*; fix or remove it/);
    expect(JSON.parse(readFileSync(presetsFile, 'utf8')).presets[0].latents).toBe('three');
    rmSync(presetsFile);
  });

  it('refuses a steer/ folder that links outside the workspace', async () => {
    const outside = mkdtempSync(path.join(tmpdir(), 'sae-outside-'));
    rmSync(path.join(root, 'steer'), { recursive: true, force: true });
    symlinkSync(outside, path.join(root, 'steer'));
    try {
      await expect(call('steer.savePreset', preset)).rejects.toThrow(/conflict: steer.savePreset: .*presets.json leads outside the workspace/);
      expect(readdirSync(outside)).toEqual([]);
    } finally {
      rmSync(path.join(root, 'steer'));
      mkdirSync(path.join(root, 'steer'));
      rmSync(outside, { recursive: true, force: true });
    }
  });
});

describe('steer.sweep', () => {
  it('returns one greedy continuation per strength and the promoted tokens\' probabilities, rising with strength', async () => {
    const sweep = await call('steer.sweep', { model: MODEL, sae: SAE, prompt: 'The dog ran to', latents: [5], strengths: [0, 20, 40], maxNewTokens: 4 });
    expect(sweep.tracked).toHaveLength(3);
    expect(sweep.rows.map((r) => r.strength)).toEqual([0, 20, 40]);
    const baseline = await call('steer.generate', { model: MODEL, sae: SAE, prompt: 'The dog ran to', latents: [5], strength: 0, maxNewTokens: 4 });
    expect(sweep.rows[0]!.tokens).toEqual(baseline.baseline.tokens);
    expect(sweep.rows[2]!.probs[0]!).toBeGreaterThan(sweep.rows[0]!.probs[0]!);
    await expect(call('steer.sweep', { model: MODEL, sae: SAE, prompt: 'Hi', latents: [5], strengths: [1] })).rejects.toThrow(/"strengths" must be a list of at least 2 and at most 9 numbers/);
  });
});

describe('attribution.run', () => {
  it('attributes a target token to the SAE latents, with the parts adding up to its logit', async () => {
    const result = await call('attribution.run', { model: MODEL, saes: [SAE], prompt: 'The dog ran to', target: ' the' });
    expect(result.target).toEqual({ id: 262, token: '·the' });
    const [site] = result.sites;
    expect(site).toMatchObject({ sae: SAE, hookName: 'blocks.1.hook_resid_post' });
    expect(site!.latents).toHaveLength(4);
    const sum = site!.latents.reduce((a, l) => a + l.direct, 0) + site!.error.direct + site!.bias + site!.rest + result.lnFinalBias;
    expect(sum).toBeCloseTo(result.logit, 4);
    expect(result.topTokens[0]!.prob).toBeGreaterThanOrEqual(result.topTokens[1]!.prob);
    // A listed next token's text is a valid target naming that token.
    const next = result.topTokens[1]!;
    expect((await call('attribution.run', { model: MODEL, saes: [SAE], prompt: 'The dog ran to', target: next.text })).target.id).toBe(next.id);
  });

  it('refuses a multi-token target and an empty SAE list', async () => {
    await expect(call('attribution.run', { model: MODEL, saes: [SAE], prompt: 'Hi', target: ' Parisian' })).rejects.toThrow(/bad_request: attribution.run: target " Parisian" is 2 tokens/);
    await expect(call('attribution.run', { model: MODEL, saes: [], prompt: 'Hi', target: ' the' })).rejects.toThrow(/"saes" must be a list of at least 1 and at most 4 strings/);
  });
});

describe('attribution.tokenEffects', () => {
  it('returns the latent on every token of a context and the effect on each next-token prediction, BOS left out', async () => {
    const tokens = [464, 3290, 4966, 284, 6342, 13];
    const latent = (await call('attribution.run', { model: MODEL, saes: [SAE], prompt: 'The dog ran to', target: ' the' })).sites[0]!.latents[0]!.latent;
    const result = await call('attribution.tokenEffects', { model: MODEL, sae: SAE, latent, tokens });
    expect(result.acts).toHaveLength(6);
    expect(result.effects).toHaveLength(6);
    expect(result.effects[5]).toBeNull();
    // "The dog ran to" is these tokens' start: the latent is active at "to", where attribution found it.
    expect(result.acts[3]).toBeGreaterThan(0);
    result.acts.forEach((act, i) => i < 5 && act === 0 && expect(result.effects[i]).toBe(0));
    await expect(call('attribution.tokenEffects', { model: MODEL, sae: SAE, latent: 32, tokens })).rejects.toThrow(/bad_request: attribution.tokenEffects: latent 32 is out of range/);
    await expect(call('attribution.tokenEffects', { model: MODEL, sae: SAE, latent: 1, tokens: Array(64).fill(5) })).rejects.toThrow(/65 tokens with BOS exceed the model's context of 64/);
  });
});

describe('attribution.featureHeads', () => {
  it('splits the pre-activation at each context into parts that add up to it, with positions as given (BOS not counted)', async () => {
    const contexts = [{ tokens: [464, 3290, 4966, 284], position: 3 }, { tokens: [6342, 13, 464], position: 1 }];
    const result = await call('attribution.featureHeads', { model: MODEL, sae: SAE, latent: 3, contexts });
    expect(result.hookName).toBe('blocks.1.hook_resid_post');
    expect(result.contexts.map((c) => c.position)).toEqual([3, 1]);
    // Embeddings, 2 layers × (2 heads + attention bias + MLP); no LayerNorm at a resid_post site.
    expect(result.components).toHaveLength(2 + 2 * 4);
    expect(result.frozen).toMatch(/^nothing/);
    result.contexts.forEach((c, i) => {
      const sum = result.components.reduce((s, part) => s + part.values[i]!, 0);
      expect(sum + c.bias).toBeCloseTo(c.preActivation, 4);
    });
    const sorted = result.components.map((part) => Math.abs(part.mean));
    expect(sorted).toEqual([...sorted].sort((a, b) => b - a));
    await expect(call('attribution.featureHeads', { model: MODEL, sae: SAE, latent: 3, contexts: [] })).rejects.toThrow(/"contexts" must be a list of 1 to 20/);
    await expect(call('attribution.featureHeads', { model: MODEL, sae: SAE, latent: 3, contexts: [{ tokens: [1, 2], position: 2 }] })).rejects.toThrow(/contexts\[0\].position must be an index into its 2 tokens, got 2/);
    await expect(call('attribution.featureHeads', { model: MODEL, sae: SAE, latent: 3, contexts: [{ tokens: [1], position: 0, extra: 1 } as never] })).rejects.toThrow(/contexts\[0\]/);
  });
});

describe('attention.*', () => {
  it('returns a layer\'s patterns, the head score table and the logit lens', async () => {
    const patterns = await call('attention.patterns', { model: MODEL, prompt: 'The dog ran', layer: 1 });
    expect(patterns.tokens).toEqual(['<|endoftext|>', 'The', '·dog', '·ran']);
    expect(patterns.patterns).toHaveLength(2);
    expect(patterns.patterns[0]![3]!.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    const scores = await call('attention.headScores', { model: MODEL, prompt: 'The dog ran', seed: 2 });
    expect(scores.induction).toHaveLength(2);
    expect(scores.previousToken[1]).toHaveLength(2);
    const lens = await call('attention.logitLens', { model: MODEL, prompt: 'The dog ran', top: 2, bos: false });
    expect(lens.tokens).toEqual(['The', '·dog', '·ran']);
    expect(lens.layers).toHaveLength(3);
    expect(lens.layers[2]!.top[2]).toHaveLength(2);
  });

  it('refuses a layer out of range and an unknown field', async () => {
    await expect(call('attention.patterns', { model: MODEL, prompt: 'Hi', layer: 2 })).rejects.toThrow(/bad_request: attention.patterns: layer 2 is outside the model's layers 0..1/);
    await expect(call('attention.logitLens', { model: MODEL, prompt: 'Hi', top: 21 })).rejects.toThrow(/"top" must be an integer ≥ 1 ≤ 20, got 21/);
  });
});
