import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { initEngine, tf } from '../../../src-main/engine/backend.js';
import { ActivationStream, ModelActivationSource, prefetched } from '../../../src-main/data/activations.js';
import type { WindowSet } from '../../../src-main/data/windows.js';
import type { Gpt2 } from '../../../src-main/model/gpt2.js';
import { ModelPool, resolveModelThreads, withModelPool } from '../../../src-main/model/pool.js';
import type { HookName } from '../../../src-shared/hooks.js';
import { fillNormal, seededRandom } from '../../../src-shared/random.js';
import type { SaeBundle } from '../../../src-main/sae/types.js';
import { evaluateSaes } from '../../../src-main/train/eval.js';
import { buildModel, randomWeights, testConfig } from './fixtures.js';

// Every worker the pool starts, so a test can make one die as a crashed thread would.
const started = vi.hoisted(() => [] as Worker[]);
vi.mock('node:worker_threads', async (original) => {
  const real = await original<typeof import('node:worker_threads')>();
  class RecordedWorker extends real.Worker {
    constructor(...args: ConstructorParameters<typeof real.Worker>) {
      super(...args);
      started.push(this);
    }
  }
  return { ...real, Worker: RecordedWorker };
});

const config = testConfig({ nPositions: 16 });
const CTX = 9;
let model: Gpt2;
let pool: ModelPool;

function randomWindows(count: number, seed: number): WindowSet {
  const uniform = seededRandom(seed);
  const tokens = Uint16Array.from({ length: count * CTX }, (_, i) => (i % CTX === 0 ? config.bosTokenId : Math.floor(uniform() * config.vocabSize)));
  return { contextSize: CTX, count, tokens };
}

const sameBits = (a: Float32Array, b: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

beforeAll(async () => {
  await initEngine('wasm');
  model = buildModel(config, randomWeights(config, 7));
  pool = await ModelPool.start(model, 2);
});

afterAll(async () => {
  await pool?.dispose();
  model?.dispose();
});

describe('ModelPool', () => {
  it('gives the in-thread activations bit for bit, at residual and MLP hooks, over groups split across workers', async () => {
    const windows = randomWindows(11, 1);
    const order = [10, 3, 0, 7, 1, 2, 9, 4, 8, 6, 5];
    for (const hook of ['blocks.0.hook_resid_post', 'blocks.1.mlp.hook_post', 'blocks.1.hook_resid_post'] as HookName[]) {
      const inThread = await new ModelActivationSource(model, windows, hook, 3).activations(order);
      const pooled = await new ModelActivationSource(model, windows, hook, 3, pool).activations(order);
      expect(pooled.length).toBe(11 * (CTX - 1) * (hook.includes('mlp') ? config.nInner : config.nEmbd));
      expect(sameBits(pooled, inThread), hook).toBe(true);
    }
    // 4 groups of ≤ 3 windows went to both workers.
    const memory = await pool.memory();
    expect(memory).toHaveLength(2);
    for (const m of memory) expect(m.tensorBytes).toBeGreaterThanOrEqual([...model.hostWeights().values()].reduce((a, w) => a + w.byteLength, 0));
  });

  it('computes the full forward\'s next-token losses as this thread does', async () => {
    const windows = randomWindows(3, 10);
    const ids = Int32Array.from(windows.tokens);
    const inThread = tf.tidy(() => model.lossPerToken(tf.tensor2d(ids, [3, CTX], 'int32')));
    const expected = inThread.dataSync() as Float32Array;
    inThread.dispose();
    const pooled = await pool.losses(ids.slice(), 3, CTX);
    expect(pooled.length).toBe(3 * (CTX - 1));
    expect(sameBits(pooled, expected)).toBe(true);
  });

  it('prefetches requests in order, so a harvest pass reads the same batches', async () => {
    const windows = randomWindows(7, 2);
    const hook: HookName = 'blocks.1.hook_resid_pre';
    const requests = [[0, 1], [2, 3], [4, 5], [6]];
    const read = async (source: ModelActivationSource) => {
      const out: Float32Array[] = [];
      for await (const acts of prefetched((r) => source.activations(r), requests, source.parallelism)) out.push(acts);
      return out;
    };
    const inThread = await read(new ModelActivationSource(model, windows, hook, 2));
    const pooled = await read(new ModelActivationSource(model, windows, hook, 2, pool));
    expect(pooled).toHaveLength(4);
    pooled.forEach((acts, i) => expect(sameBits(acts, inThread[i]), `request ${i}`).toBe(true));
  });

  it('streams the same training batches with the next fill computed ahead, and resumes exactly from its state', async () => {
    const windows = randomWindows(20, 3);
    const train = Uint32Array.from({ length: 20 }, (_, i) => i);
    const hook: HookName = 'blocks.0.hook_resid_mid';
    const opts = { batchTokens: 12, bufferBatches: 3, totalBatches: 14, seed: 4 };
    const drain = async (stream: ActivationStream, n: number) => {
      const out: Float32Array[] = [];
      for (let i = 0; i < n; i++) out.push(await stream.next());
      return out;
    };
    const inThread = await drain(new ActivationStream(new ModelActivationSource(model, windows, hook, 2), train, CTX, opts), 14);
    const pooled = await drain(new ActivationStream(new ModelActivationSource(model, windows, hook, 2, pool), train, CTX, opts), 14);
    pooled.forEach((b, i) => expect(sameBits(b, inThread[i]), `batch ${i}`).toBe(true));
    // Cut at a fill's end (3: the next fill is computing) and inside one (7).
    for (const cut of [3, 7]) {
      const first = new ActivationStream(new ModelActivationSource(model, windows, hook, 2, pool), train, CTX, opts);
      await drain(first, cut);
      const resumed = new ActivationStream(new ModelActivationSource(model, windows, hook, 2, pool), train, CTX, opts);
      await resumed.restore(JSON.parse(JSON.stringify(first.state())));
      (await drain(resumed, 14 - cut)).forEach((b, i) => expect(sameBits(b, inThread[cut + i]), `batch ${cut + i} after a cut at ${cut}`).toBe(true));
    }
  });

  it('evaluates SAEs on batches split across workers to the same figures, and releases them', async () => {
    const windows = randomWindows(10, 8);
    const uniform = seededRandom(9);
    const sae = (dSae: number): SaeBundle => ({
      spec: { architecture: 'topk', dIn: config.nEmbd, dSae, k: 4, normalizeActivations: 'none', applyBDecToInput: true, modelName: 'test', hookName: 'blocks.0.hook_resid_post', contextSize: CTX, prependBos: true },
      weights: {
        W_enc: fillNormal(new Float32Array(config.nEmbd * dSae), 0.3, uniform),
        W_dec: fillNormal(new Float32Array(dSae * config.nEmbd), 0.3, uniform),
        b_enc: new Float32Array(dSae),
        b_dec: new Float32Array(config.nEmbd),
      },
    });
    const saes = [sae(48), sae(96)];
    const options = { model, saes, windows, tokens: 10 * (CTX - 1), batch: 3 };
    const inThread = await evaluateSaes(options);
    const pooled = await evaluateSaes({ ...options, pool });
    expect(pooled).toEqual(inThread);
    expect(inThread[0].tokens).toBe(10 * (CTX - 1));
    expect(inThread[1].evalFvu).toBeGreaterThan(0);
    // The workers hold no SAE after the evaluation: asking for a batch now is refused.
    await expect(pool.evalBatch(new Int32Array(CTX).fill(1), 1, CTX)).rejects.toThrow(/GPT-2 worker 1 of 2: asked to evaluate before the model and SAEs were loaded/);
  });

  it('fails a request with the worker named when its worker dies, and frees nothing it should not', async () => {
    const own = await ModelPool.start(model, 2);
    const workers = started.slice(-2);
    const windows = randomWindows(8, 5);
    const source = new ModelActivationSource(model, windows, 'blocks.1.hook_resid_post', 1, own);
    const request = source.activations([0, 1, 2, 3, 4, 5, 6, 7]);
    await workers[1].terminate();
    await expect(request).rejects.toThrow(/GPT-2 worker 2 of 2 exited with code 1/);
    // Later requests fail as fast, naming it, instead of waiting on a thread that is gone.
    await expect(source.activations([0, 1])).rejects.toThrow(/GPT-2 worker 2 of 2/);
    await own.dispose();
    await expect(source.activations([0])).rejects.toThrow(/GPT-2 worker \d of 2 was disposed/);
  });

  it('stops its workers however the job ends, a cancel with requests in flight included', async () => {
    const windows = randomWindows(6, 11);
    const controller = new AbortController();
    let workers: Worker[] = [];
    const job = withModelPool(model, 2, async (own) => {
      workers = started.slice(-2);
      const source = new ModelActivationSource(model, windows, 'blocks.1.hook_resid_post', 1, own);
      for await (const acts of prefetched((r: number[]) => source.activations(r), [[0, 1], [2, 3], [4, 5]], 2)) {
        expect(acts.length).toBe(2 * (CTX - 1) * config.nEmbd);
        controller.abort(new Error('harvest cancelled'));
        controller.signal.throwIfAborted();
      }
    });
    await expect(job).rejects.toThrow('harvest cancelled');
    expect(workers).toHaveLength(2);
    // A thread that has stopped reports the id -1.
    expect(workers.map((w) => w.threadId)).toEqual([-1, -1]);
  });

  it('refuses a bad thread count, naming it', async () => {
    await expect(ModelPool.start(model, 0)).rejects.toThrow(/threads must be a positive integer, got 0/);
    expect(() => resolveModelThreads(1.5, 'harvest')).toThrow(/harvest: model threads must be a positive integer, got 1.5/);
    expect(resolveModelThreads(3, 'harvest').threads).toBe(3);
    expect(resolveModelThreads(undefined, 'harvest').threads).toBeGreaterThanOrEqual(1);
  });

  it('leaves no tensor behind in this thread', async () => {
    const before = tf.memory().numTensors;
    await new ModelActivationSource(model, randomWindows(3, 6), 'blocks.0.hook_resid_post', 1, pool).activations([0, 1, 2]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
