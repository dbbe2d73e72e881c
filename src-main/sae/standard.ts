// The "standard" SAE (SAELens's name) as Anthropic's April 2024 update trains it (Circuits Updates,
// "Training SAEs"): z = ReLU(W_enc (x − b_dec) + b_enc), x̂ = W_dec z + b_dec, loss
// ‖x − x̂‖² + λ Σ_i z_i ‖W_dec,i‖ (mean over tokens), the decoder unconstrained (the norm-weighted L1
// cannot be dodged by shrinking z), λ warmed up linearly over l1WarmupSteps. The earlier variant
// (unit-norm decoder, plain L1) is a weaker baseline. Its code is not k-sparse, so the backward is
// dense (hand-written, explicit transposes), processed in micro-batches. The baseline for top-k at equal L0.
import { tf } from '../engine/backend.js';
import type { CreateSaeOptions, SaeExportMeta, SaeTrainState, SparseCode, StepResult, TrainableSae } from './api.js';
import { toSaeBundle } from './bundle.js';
import type { SaeTrainConfig } from './config.js';
import { FiringStats } from './firing.js';
import { initialParams } from './init.js';
import { clipFactor } from './optimizer.js';
import { BiasParam, LatentParams } from './params.js';
import { registerSae } from './registry.js';
import { gatherCombine } from './sparse-ops.js';
import { adamHyper, checkParamShapes, checkStateConfig } from './sparse/trainer.js';
import { MAX_DENSE_ELEMENTS } from './bounds.js';
import type { SaeBundle } from './types.js';

export class StandardSae implements TrainableSae {
  private t = 0;

  private constructor(
    readonly config: SaeTrainConfig,
    private readonly latents: LatentParams,
    private readonly bDec: BiasParam,
    private firing: FiringStats,
  ) {}

  static async create(config: SaeTrainConfig, options: CreateSaeOptions): Promise<StandardSae> {
    if ((options.shards ?? 1) !== 1) throw new Error(`SAE shards = ${options.shards}: the standard (ReLU + L1) SAE runs in one thread; use shards = 1`);
    const params = options.weights ?? initialParams(config, options.sample);
    checkParamShapes(config, params, 'SAE initial weights');
    const zeros = () => ({ W_enc: new Float32Array(params.W_enc.length), b_enc: new Float32Array(config.dSae), W_dec: new Float32Array(params.W_dec.length) });
    const latents = new LatentParams(config.dIn, config.dSae, { params, adamM: zeros(), adamV: zeros() }, false);
    return new StandardSae(config, latents, new BiasParam(params.b_dec), FiringStats.empty(config.dSae));
  }

  async step(x: tf.Tensor2D): Promise<StepResult> {
    const { dIn, dSae } = this.config;
    const batch = this.checkBatch(x, 'step');
    const t = ++this.t;
    const lambda = l1Coefficient(this.config, t);
    const { W_enc, b_enc, W_dec } = this.latents;
    const bDec = this.bDec.value;
    const chunk = Math.max(1, Math.floor(MAX_DENSE_ELEMENTS / dSae));
    const W_decT = tf.transpose(W_dec); // [dIn, dSae]; explicit, as wasm's transposed matMul is slow
    const decNorms = tf.tidy(() => W_dec.norm('euclidean', 1)); // [dSae]
    const l1Weights = tf.tidy(() => decNorms.mul(lambda / batch)); // [dSae]: ∂(λ/B Σ z_i ‖W_dec,i‖)/∂z_i
    let acc: Record<'gEnc' | 'gBias' | 'gDec' | 'gBDec' | 'sse' | 'l1' | 'fired', tf.Tensor> = {
      gEnc: tf.zeros([dIn, dSae]), gBias: tf.zeros([dSae]), gDec: tf.zeros([dSae, dIn]), gBDec: tf.zeros([dIn]), sse: tf.scalar(0), l1: tf.zeros([dSae]), fired: tf.zeros([dSae]),
    };
    for (let start = 0; start < batch; start += chunk) {
      const rows = Math.min(chunk, batch - start);
      const next = tf.tidy(() => {
        const xs = x.slice([start, 0], [rows, dIn]); // [rows, dIn]
        const xc = xs.sub(bDec); // [rows, dIn]
        const pre = tf.matMul(xc, W_enc).add(b_enc); // [rows, dSae]
        const z = pre.relu() as tf.Tensor2D; // [rows, dSae]
        const residual = tf.matMul(z, W_dec).add(bDec).sub(xs); // [rows, dIn]
        const dOut = residual.mul(2 / batch) as tf.Tensor2D; // [rows, dIn]
        const dPre = tf.matMul(dOut, W_decT).add(l1Weights).mul(pre.greater(0)) as tf.Tensor2D; // [rows, dSae]
        return {
          gEnc: acc.gEnc.add(tf.matMul(tf.transpose(xc), dPre)), // [dIn, dSae]
          gBias: acc.gBias.add(dPre.sum(0)), // [dSae]
          gDec: acc.gDec.add(tf.matMul(tf.transpose(z), dOut)), // [dSae, dIn]
          gBDec: acc.gBDec.add(dOut.sum(0)), // [dIn]
          sse: acc.sse.add(residual.square().sum()),
          l1: acc.l1.add(z.sum(0)), // [dSae]: Σ over tokens of z_i
          fired: acc.fired.add(z.greater(0).sum(0)), // [dSae]
        };
      });
      tf.dispose(Object.values(acc));
      acc = next;
    }
    W_decT.dispose();
    const bDecGrad = tf.tidy(() => acc.gBDec.sub(tf.matMul(W_enc, acc.gBias.expandDims(1)).reshape([dIn])) as tf.Tensor1D); // [dIn]
    // The L1 term's pull on the decoder: ∂/∂W_dec,i of λ/B Σ_t z_ti ‖W_dec,i‖ = λ/B (Σ_t z_ti) W_dec,i / ‖W_dec,i‖.
    const gDec = tf.tidy(() => acc.gDec.add(W_dec.div(decNorms.maximum(1e-12).expandDims(1)).mul(acc.l1.mul(lambda / batch).expandDims(1))) as tf.Tensor2D); // [dSae, dIn]
    const l1 = tf.tidy(() => acc.l1.mul(decNorms).sum().dataSync()[0]);
    tf.dispose([decNorms, l1Weights]);
    const grads = { W_enc: acc.gEnc as tf.Tensor2D, b_enc: acc.gBias as tf.Tensor1D, W_dec: gDec };
    const bDecSquared = tf.tidy(() => bDecGrad.square().sum().dataSync()[0]);
    const gradScale = clipFactor(this.config, this.latents.squaredNorm(grads) + bDecSquared);
    const hyper = adamHyper(this.config, t);
    this.latents.apply(grads, hyper, t, gradScale);
    this.bDec.apply(bDecGrad, hyper, t, gradScale);

    const variance = tf.tidy(() => x.sub(x.mean(0)).square().sum().dataSync()[0]);
    const sse = acc.sse.dataSync()[0];
    const fired = acc.fired.dataSync() as Float32Array;
    tf.dispose([...Object.values(acc), bDecGrad, gDec]);
    this.firing.record(fired, batch);
    const losses = { mse: sse / batch, l1: (lambda * l1) / batch };
    return {
      loss: losses.mse + losses.l1,
      losses,
      metrics: {
        l0: fired.reduce((a, b) => a + b, 0) / batch,
        fvu: sse / Math.max(variance, 1e-12),
        deadFraction: this.firing.deadFraction(this.config.deadTokensWindow),
        auxLatents: 0,
        tokens: batch,
      },
    };
  }

  async encodeDense(x: tf.Tensor2D): Promise<tf.Tensor2D> {
    this.checkBatch(x, 'encode');
    return tf.tidy(() => tf.matMul(x.sub(this.bDec.value), this.latents.W_enc).add(this.latents.b_enc).relu() as tf.Tensor2D); // [batch, dSae]
  }

  /** The active latents of each token, as wide as the busiest token (at least 1). */
  async encode(x: tf.Tensor2D): Promise<SparseCode> {
    const dense = await this.encodeDense(x); // [batch, dSae]
    const width = Math.max(1, tf.tidy(() => dense.greater(0).sum(1).max().dataSync()[0]));
    const { values, indices } = tf.topk(dense, width, true); // [batch, width] each
    dense.dispose();
    return { values: values as tf.Tensor2D, indices: indices as tf.Tensor2D };
  }

  async decode(code: SparseCode): Promise<tf.Tensor2D> {
    return tf.tidy(() => gatherCombine(this.latents.W_dec, code.indices, code.values).add(this.bDec.value) as tf.Tensor2D); // [batch, dIn]
  }

  async toBundle(meta: SaeExportMeta): Promise<SaeBundle> {
    const state = await this.getState();
    return toSaeBundle(this.config, state.params, this.firing.logSparsity(), meta, 'standard');
  }

  async getState(): Promise<SaeTrainState> {
    const latents = this.latents.getState();
    const bias = this.bDec.getState();
    return {
      config: this.config,
      params: { ...latents.params, b_dec: bias.value },
      adamM: { ...latents.adamM, b_dec: bias.m },
      adamV: { ...latents.adamV, b_dec: bias.v },
      step: this.t,
      tokensSinceFired: this.firing.tokensSinceFired.slice(),
      firingCounts: this.firing.firingCounts.slice(),
      tokensSeen: this.firing.tokensSeen,
      threshold: 0,
      mseScale: 1,
    };
  }

  async setState(state: SaeTrainState): Promise<void> {
    checkStateConfig(this.config, state);
    for (const part of ['params', 'adamM', 'adamV'] as const) checkParamShapes(this.config, state[part], `SAE state ${part}`);
    this.latents.setState({ params: state.params, adamM: state.adamM, adamV: state.adamV });
    this.bDec.setState({ value: state.params.b_dec, m: state.adamM.b_dec, v: state.adamV.b_dec });
    this.firing = new FiringStats(state.tokensSinceFired.slice(), state.firingCounts.slice(), state.tokensSeen);
    this.t = state.step;
  }

  async dispose(): Promise<void> {
    this.latents.dispose();
    this.bDec.dispose();
  }

  private checkBatch(x: tf.Tensor2D, what: string): number {
    if (x.rank !== 2 || x.shape[1] !== this.config.dIn) throw new Error(`SAE ${what}: input has shape [${x.shape}], expected [batch, ${this.config.dIn}]`);
    return x.shape[0];
  }
}

/** λ at step t (1-based): linear warm-up from 0 over config.l1WarmupSteps, then config.l1Coefficient. */
export function l1Coefficient(config: SaeTrainConfig, t: number): number {
  return config.l1WarmupSteps > 0 ? config.l1Coefficient * Math.min(1, t / config.l1WarmupSteps) : config.l1Coefficient;
}

registerSae('standard', (config, options) => StandardSae.create(config, options));

