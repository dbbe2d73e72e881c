// GPT-2 forward pass with TransformerLens hook points: run with cache/hooks/stopAt, next-token
// loss, and generation with a KV cache. The parts live in embedding, block, attention and mlp.
import { tf } from '../engine/backend.js';
import type { LayerKv } from './attention.js';
import { block } from './block.js';
import type { Gpt2Config } from './config.js';
import { embed } from './embedding.js';
import { HookContext, StopForward, type Hook, type RunOptions, type RunResult } from './hooks.js';
import { layerNorm } from './layernorm.js';
import { checkSamplingOptions, tokenSampler, type SamplingOptions } from './sample.js';
import { disposeGpt2Weights, namedWeights, type BlockWeights, type Gpt2Weights, type LayerNormWeights } from './weights.js';

/** Rows of the [rows, vocab] log-softmax computed at once by lossPerToken. */
const LOSS_CHUNK_ROWS = 1024;

export interface GenerateOptions extends SamplingOptions {
  maxNewTokens: number;
  /** Applied at every step, to the new positions only. */
  hooks?: Hook[];
  /** Stop after generating <|endoftext|> (config eos_token_id). */
  stopAtEot?: boolean;
}

const GENERATE_OPTION_KEYS = ['maxNewTokens', 'temperature', 'topK', 'seed', 'hooks', 'stopAtEot'];

export class Gpt2 {
  /** wte transposed, made on first use: harvesting with stopAt never pays for it. */
  private unembedWeight?: tf.Tensor2D; // [d_model, vocab]
  private disposed = false;
  private readonly disposers: Array<() => void> = [];

  constructor(
    readonly config: Gpt2Config,
    private readonly weights: Gpt2Weights,
  ) {}

  /** Forward pass over int32 tokens [batch, pos]. The caller disposes the logits and the cache. */
  run(tokens: tf.Tensor2D, opts: RunOptions = {}): RunResult {
    const hooks = new HookContext(this.config.nLayer, opts);
    this.checkTokens(tokens);
    try {
      const logits = tf.tidy(() => {
        try {
          return this.unembed(this.forward(tokens, hooks).final);
        } catch (err) {
          if (err instanceof StopForward) return undefined;
          throw err;
        }
      });
      return { logits, cache: hooks.cache };
    } catch (err) {
      hooks.disposeCache();
      throw err;
    }
  }

  /** Next-token cross-entropy in nats per position, [batch, pos-1]; hooks may splice in reconstructions. */
  lossPerToken(tokens: tf.Tensor2D, hooks?: Hook[]): tf.Tensor2D {
    const context = new HookContext(this.config.nLayer, { hooks });
    this.checkTokens(tokens);
    const [batch, pos] = tokens.shape;
    if (pos < 2) throw new Error(`next-token loss needs at least 2 tokens per row, got ${pos}`);
    const rows = batch * (pos - 1);
    const d = this.config.nEmbd;
    return tf.tidy(() => {
      const { final } = this.forward(tokens, context); // [batch, pos, d_model]
      const inputs = final.slice([0, 0, 0], [batch, pos - 1, d]).reshape([rows, d]) as tf.Tensor2D; // [batch·(pos-1), d_model]
      const targets = tokens.slice([0, 1], [batch, pos - 1]).reshape([rows]); // [batch·(pos-1)]
      const losses: tf.Tensor1D[] = [];
      // Chunks bound the [rows, vocab] temporaries (200 MB per 1024 rows at GPT-2's vocabulary).
      for (let start = 0; start < rows; start += LOSS_CHUNK_ROWS) {
        const n = Math.min(LOSS_CHUNK_ROWS, rows - start);
        losses.push(tf.tidy(() => {
          const logProbs = tf.logSoftmax(tf.matMul(inputs.slice([start, 0], [n, d]), this.unembedMatrix())); // [n, vocab]
          // gatherND on (row, target) pairs, because gather with batchDims crashes on wasm.
          const pairs = tf.stack([tf.range(0, n, 1, 'int32'), targets.slice(start, n)], 1); // [n, 2]
          return tf.gatherND(logProbs, pairs).neg() as tf.Tensor1D; // [n]
        }));
      }
      return tf.concat(losses).reshape([batch, pos - 1]); // [batch, pos-1]
    });
  }

  meanLoss(tokens: tf.Tensor2D, hooks?: Hook[]): number {
    const mean = tf.tidy(() => this.lossPerToken(tokens, hooks).mean()); // []
    const value = mean.dataSync()[0];
    mean.dispose();
    return value;
  }

  /** Continues `prompt` (batch of one) and returns prompt + new tokens. Uses a KV cache. */
  generate(prompt: number[], opts: GenerateOptions): number[] {
    return [...prompt, ...this.generateTokens(prompt, opts)];
  }

  /**
   * The new tokens of `generate`, one per `next()`: the caller sees each token as soon as it is
   * sampled, may wait between tokens (a streaming server yields its event loop there), and stops
   * early with `return()`, which frees the KV cache. Options are checked here, before the first token.
   */
  generateTokens(prompt: number[], opts: GenerateOptions): Generator<number, void, undefined> {
    for (const key of Object.keys(opts)) {
      if (!GENERATE_OPTION_KEYS.includes(key)) throw new Error(`unknown generate option "${key}" (expected ${GENERATE_OPTION_KEYS.join(', ')})`);
    }
    const { maxNewTokens } = opts;
    if (!Number.isInteger(maxNewTokens) || maxNewTokens < 0) throw new Error(`maxNewTokens must be a non-negative integer, got ${maxNewTokens}`);
    if (prompt.length === 0) throw new Error('generate needs a non-empty prompt (start with <|endoftext|> for unconditional text)');
    if (prompt.length + maxNewTokens > this.config.nPositions) {
      throw new Error(`prompt (${prompt.length} tokens) + maxNewTokens (${maxNewTokens}) exceeds the model's context of ${this.config.nPositions} positions`);
    }
    this.checkIds(prompt, 'prompt');
    checkSamplingOptions(opts, this.config.vocabSize);
    return this.sampleTokens([...prompt], opts, tokenSampler(opts), new HookContext(this.config.nLayer, { hooks: opts.hooks }));
  }

  private *sampleTokens(prompt: number[], opts: GenerateOptions, pick: (logits: Float32Array) => number, hooks: HookContext): Generator<number, void, undefined> {
    let input = prompt;
    let past: LayerKv[] | undefined;
    try {
      for (let step = 0; step < opts.maxNewTokens; step++) {
        const ids = input;
        const previous = past;
        const out = tf.tidy(() => {
          const { final, kv } = this.forward(tf.tensor2d(ids, [1, ids.length], 'int32'), hooks, previous); // final: [1, pos, d_model]
          const last = final.slice([0, ids.length - 1, 0], [1, 1, this.config.nEmbd]); // [1, 1, d_model]
          return { logits: this.unembed(last), kv: kv as unknown as tf.TensorContainer }; // logits: [1, 1, vocab]
        }) as unknown as { logits: tf.Tensor3D; kv: LayerKv[] };
        disposeKv(previous);
        past = out.kv;
        const next = pick(out.logits.dataSync() as Float32Array);
        out.logits.dispose();
        yield next;
        if (opts.stopAtEot && next === this.config.eosTokenId) break;
        input = [next];
      }
    } finally {
      disposeKv(past);
    }
  }

  /** ln_final's gain and bias with its epsilon, and the tied unembedding wte [vocab, d_model]: what direct logit attribution reads. */
  readout(): { lnF: LayerNormWeights; eps: number; wte: tf.Tensor2D } {
    return { lnF: this.weights.lnF, eps: this.config.layerNormEpsilon, wte: this.weights.wte };
  }

  /** Block `layer`'s weights, for analyses that split its output into parts (per-head direct attribution). Do not dispose them. */
  blockWeights(layer: number): BlockWeights {
    const w = this.weights.blocks[layer];
    if (!w) throw new Error(`layer ${layer} is outside the model's layers 0..${this.config.nLayer - 1}`);
    return w;
  }

  /** Logits of ln_final outputs [rows, d_model] → [rows, vocab], without running the model. */
  unembedNormalized(x: tf.Tensor2D): tf.Tensor2D {
    return tf.matMul(x, this.unembedMatrix()); // [rows, vocab]
  }

  /** Residual-stream vectors [rows, d_model] read out as logits [rows, vocab] through ln_final and the unembedding (the logit lens). */
  logitsOfResidual(resid: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const [rows, d] = resid.shape;
      const normed = layerNorm(resid.reshape([1, rows, d]) as tf.Tensor3D, this.weights.lnF, this.config.layerNormEpsilon); // [1, rows, d_model]
      return this.unembedNormalized(normed.reshape([rows, d])); // [rows, vocab]
    });
  }

  /** Every parameter as float32 on the host, by HF name without `transformer.` (what model/onnx-graph.ts builds from). */
  hostWeights(): Map<string, Float32Array> {
    if (this.disposed) throw new Error('this Gpt2 has been disposed; load the model again to use it');
    return new Map([...namedWeights(this.weights)].map(([name, t]) => [name, t.dataSync() as Float32Array]));
  }

  /** Runs `fn` when the model is disposed: for what is built from its weights elsewhere (model/onnx-gpt2.ts). */
  onDispose(fn: () => void): void {
    this.disposers.push(fn);
  }

  /** Checks row-major token ids [rows, pos] against the vocabulary, naming the first bad one. */
  checkTokenIds(ids: ArrayLike<number>, pos: number): void {
    this.checkIds(ids, 'tokens', pos);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const fn of this.disposers.splice(0)) fn();
    disposeGpt2Weights(this.weights);
    this.unembedWeight?.dispose();
    this.unembedWeight = undefined;
  }

  private forward(tokens: tf.Tensor2D, hooks: HookContext, past?: LayerKv[]): { final: tf.Tensor3D; kv: LayerKv[] } {
    if (this.disposed) throw new Error('this Gpt2 has been disposed; load the model again to use it');
    const c = this.config;
    let resid = embed(tokens, this.weights, past ? past[0].k.shape[2] : 0, hooks); // [batch, pos, d_model]
    const kv: LayerKv[] = [];
    this.weights.blocks.forEach((w, layer) => {
      const out = block(resid, w, c, layer, hooks, past?.[layer]);
      resid = out.resid; // [batch, pos, d_model]
      kv.push(out.kv);
    });
    const final = hooks.point('ln_final.hook_normalized', layerNorm(resid, this.weights.lnF, c.layerNormEpsilon)); // [batch, pos, d_model]
    return { final, kv };
  }

  /** Logits through the tied unembedding: x @ wteᵀ. */
  private unembed(x: tf.Tensor3D): tf.Tensor3D {
    const [batch, pos, dModel] = x.shape;
    const logits = tf.matMul(x.reshape([batch * pos, dModel]) as tf.Tensor2D, this.unembedMatrix()); // [batch·pos, vocab]
    return logits.reshape([batch, pos, this.config.vocabSize]); // [batch, pos, vocab]
  }

  private unembedMatrix(): tf.Tensor2D {
    this.unembedWeight ??= tf.keep(this.weights.wte.transpose()); // [d_model, vocab]
    return this.unembedWeight;
  }

  private checkTokens(tokens: tf.Tensor2D): void {
    if (!(tokens instanceof tf.Tensor) || tokens.rank !== 2 || tokens.dtype !== 'int32') {
      const got = tokens instanceof tf.Tensor ? `${tokens.dtype} [${tokens.shape.join(', ')}]` : typeof tokens;
      throw new Error(`tokens must be an int32 tensor [batch, pos], got ${got}`);
    }
    const [batch, pos] = tokens.shape;
    if (batch === 0 || pos === 0) throw new Error(`tokens must hold at least one token, got shape [${batch}, ${pos}]`);
    if (pos > this.config.nPositions) {
      throw new Error(`${pos} tokens per row exceed the model's context of ${this.config.nPositions} positions (n_positions); split the text into windows`);
    }
    this.checkIds(tokens.dataSync(), 'tokens', pos);
  }

  /** Out-of-range ids would silently read garbage rows of wte on some backends. */
  private checkIds(ids: ArrayLike<number>, what: string, rowLength?: number): void {
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!Number.isInteger(id) || id < 0 || id >= this.config.vocabSize) {
        const where = rowLength === undefined ? `[${i}]` : `[${Math.floor(i / rowLength)}, ${i % rowLength}]`;
        throw new Error(`${what}${where} is ${id}, outside the vocabulary 0..${this.config.vocabSize - 1}`);
      }
    }
  }
}

function disposeKv(kv: LayerKv[] | undefined): void {
  for (const layer of kv ?? []) tf.dispose([layer.k, layer.v]);
}
