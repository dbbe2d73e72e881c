// The "standard" SAE (SAELens's name) as Anthropic's April 2024 update trains it (Circuits Updates,
// "Training SAEs"): z = ReLU(W_enc (x − b_dec) + b_enc), x̂ = W_dec z + b_dec, loss
// ‖x − x̂‖² + λ Σ_i z_i ‖W_dec,i‖ (mean over tokens), the decoder unconstrained (the norm-weighted L1
// cannot be dodged by shrinking z), λ warmed up linearly over l1WarmupSteps. The earlier variant
// (unit-norm decoder, plain L1) is a weaker baseline. Its code is not k-sparse, so the backward is
// dense (hand-written, explicit transposes), processed in micro-batches. The baseline for top-k at equal L0.
import { tf } from '../engine/backend.js';
import type { CreateSaeOptions, PendingStep, SaeExportMeta, SaeTrainState, SparseCode, StepResult, TrainableSae } from './api.js';
import { toSaeBundle } from './bundle.js';
import type { SaeTrainConfig } from './config.js';
import { deviceFiringFor, FiringStats, restoredDeviceFiring, type DeviceFiring } from './firing.js';
import { initialParams } from './init.js';
import { clipFactor, clipFactorOnDevice } from './optimizer.js';
import { readSteps } from './pending.js';
import { BiasParam, LatentParams } from './params.js';
import { registerSae } from './registry.js';
import { gatherCombine } from './sparse-ops.js';
import { adamHyper, checkParamShapes, checkStateConfig } from './sparse/trainer.js';
import { MAX_DENSE_ELEMENTS } from './bounds.js';
import type { SaeBundle } from './types.js';

export class StandardSae implements TrainableSae {
  private t = 0;
  readonly stepDeferred?: (x: tf.Tensor2D) => Promise<PendingStep>;

  private constructor(
    readonly config: SaeTrainConfig,
    private readonly latents: LatentParams,
    private readonly bDec: BiasParam,
    private firing: FiringStats,
    /** Off wasm: the firing statistics as tensors, so the step reads nothing back; `firing` is then only their initial state. */
    private deviceFiring?: DeviceFiring,
  ) {
    if (deviceFiring) this.stepDeferred = async (x) => this.deviceStep(x, this.deviceFiring!);
  }

  static async create(config: SaeTrainConfig, options: CreateSaeOptions): Promise<StandardSae> {
    if ((options.shards ?? 1) !== 1) throw new Error(`SAE shards = ${options.shards}: the standard (ReLU + L1) SAE runs in one thread; use shards = 1`);
    const params = options.weights ?? initialParams(config, options.sample);
    checkParamShapes(config, params, 'SAE initial weights');
    const zeros = () => ({ W_enc: new Float32Array(params.W_enc.length), b_enc: new Float32Array(config.dSae), W_dec: new Float32Array(params.W_dec.length) });
    const latents = new LatentParams(config.dIn, config.dSae, { params, adamM: zeros(), adamV: zeros() }, false);
    const firing = FiringStats.empty(config.dSae);
    return new StandardSae(config, latents, new BiasParam(params.b_dec), firing, deviceFiringFor(firing));
  }

  async step(x: tf.Tensor2D): Promise<StepResult> {
    if (this.deviceFiring) return (await readSteps([this.deviceStep(x, this.deviceFiring)]))[0];
    const { batch, lambda, grads, bDecGrad, sums } = this.gradients(x);
    const t = this.t;
    const l1 = sums.l1.dataSync()[0];
    const bDecSquared = tf.tidy(() => bDecGrad.square().sum().dataSync()[0]);
    const gradScale = clipFactor(this.config, this.latents.squaredNorm(grads) + bDecSquared);
    const hyper = adamHyper(this.config, t);
    this.latents.apply(grads, hyper, t, gradScale);
    this.bDec.apply(bDecGrad, hyper, t, gradScale);

    const variance = tf.tidy(() => x.sub(x.mean(0)).square().sum().dataSync()[0]);
    const sse = sums.sse.dataSync()[0];
    const fired = sums.fired.dataSync() as Float32Array;
    tf.dispose([...Object.values(sums), ...Object.values(grads), bDecGrad]);
    this.firing.record(fired, batch);
    return standardResult(batch, lambda, sse, l1, variance, fired.reduce((a, b) => a + b, 0), this.firing.deadFraction(this.config.deadTokensWindow));
  }

  /** The same step without reading anything back (off wasm, DeviceFiring keeping the firing statistics). */
  private deviceStep(x: tf.Tensor2D, firing: DeviceFiring): PendingStep {
    const { batch, lambda, grads, bDecGrad, sums } = this.gradients(x);
    const t = this.t;
    const scalars = tf.tidy(() => {
      const gradScale = clipFactorOnDevice(this.config, this.latents.squaredNormOnDevice(grads).add(bDecGrad.square().sum()));
      const hyper = adamHyper(this.config, t);
      this.latents.apply(grads, hyper, t, gradScale);
      this.bDec.apply(bDecGrad, hyper, t, gradScale);
      firing.record(sums.fired as tf.Tensor1D, batch);
      const variance = x.sub(x.mean(0)).square().sum();
      return [sums.sse, sums.l1, variance, sums.fired.sum(), firing.deadFraction(this.config.deadTokensWindow)] as tf.Scalar[];
    });
    // sse and l1 are among the scalars, which readSteps frees.
    tf.dispose([sums.fired, ...Object.values(grads), bDecGrad]);
    return { scalars, resolve: ([sse, l1, variance, active, deadFraction]) => standardResult(batch, lambda, sse, l1, variance, active, deadFraction) };
  }

  /**
   * Step t's gradients (t counted here) on a batch, with the sums the result needs as tensors: sse,
   * l1 = Σ_i (Σ_t z_ti) ‖W_dec,i‖, and fired [dSae] (tokens on which each latent fired).
   */
  private gradients(x: tf.Tensor2D) {
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
    const l1 = tf.tidy(() => acc.l1.mul(decNorms).sum()) as tf.Scalar;
    tf.dispose([decNorms, l1Weights, acc.gDec, acc.gBDec, acc.l1]);
    const grads = { W_enc: acc.gEnc as tf.Tensor2D, b_enc: acc.gBias as tf.Tensor1D, W_dec: gDec };
    return { batch, lambda, grads, bDecGrad, sums: { sse: acc.sse as tf.Scalar, l1, fired: acc.fired as tf.Tensor1D } };
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
    return toSaeBundle(this.config, state.params, this.firingStats().logSparsity(), meta, 'standard');
  }

  async getState(): Promise<SaeTrainState> {
    const latents = this.latents.getState();
    const bias = this.bDec.getState();
    const firing = this.firingStats();
    return {
      config: this.config,
      params: { ...latents.params, b_dec: bias.value },
      adamM: { ...latents.adamM, b_dec: bias.m },
      adamV: { ...latents.adamV, b_dec: bias.v },
      step: this.t,
      tokensSinceFired: firing.tokensSinceFired.slice(),
      firingCounts: firing.firingCounts.slice(),
      tokensSeen: firing.tokensSeen,
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
    this.deviceFiring = restoredDeviceFiring(this.deviceFiring, this.firing);
    this.t = state.step;
  }

  async dispose(): Promise<void> {
    this.latents.dispose();
    this.bDec.dispose();
    this.deviceFiring?.dispose();
  }

  private firingStats(): FiringStats {
    return this.deviceFiring?.toHost() ?? this.firing;
  }

  private checkBatch(x: tf.Tensor2D, what: string): number {
    if (x.rank !== 2 || x.shape[1] !== this.config.dIn) throw new Error(`SAE ${what}: input has shape [${x.shape}], expected [batch, ${this.config.dIn}]`);
    return x.shape[0];
  }
}

/** The step's result from its sums: mse = sse / B and l1 = λ·l1 / B (means over tokens), fvu, and L0 from the firing count. */
function standardResult(batch: number, lambda: number, sse: number, l1: number, variance: number, active: number, deadFraction: number): StepResult {
  const losses = { mse: sse / batch, l1: (lambda * l1) / batch };
  return {
    loss: losses.mse + losses.l1,
    losses,
    metrics: { l0: active / batch, fvu: sse / Math.max(variance, 1e-12), deadFraction, auxLatents: 0, tokens: batch },
  };
}

/** λ at step t (1-based): linear warm-up from 0 over config.l1WarmupSteps, then config.l1Coefficient. */
export function l1Coefficient(config: SaeTrainConfig, t: number): number {
  return config.l1WarmupSteps > 0 ? config.l1Coefficient * Math.min(1, t / config.l1WarmupSteps) : config.l1Coefficient;
}

registerSae('standard', (config, options) => StandardSae.create(config, options));

