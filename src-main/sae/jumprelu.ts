// The JumpReLU SAE of Rajamanoharan et al. 2024b ("Jumping ahead: improving reconstruction fidelity
// with JumpReLU sparse autoencoders"): z = pre · H(pre − θ), pre = W_enc (x − b_dec) + b_enc, with a
// learned threshold θ_i > 0 per latent (trained as log θ, as the paper's pseudo-code and SAELens do),
// x̂ = W_dec z + b_dec, decoder rows unit-norm, and loss ‖x − x̂‖² + λ ‖z‖₀ (mean over tokens).
// The step function H has no useful derivative, so the paper's straight-through estimator (§4, eq. 11–12)
// gives θ a pseudo-derivative from a kernel density estimate with a rectangle kernel K of bandwidth ε:
//   ð z_i / ð θ_i = −(θ_i / ε) K((pre_i − θ_i) / ε),   ð H(pre_i − θ_i) / ð θ_i = −(1 / ε) K((pre_i − θ_i) / ε),
// while pre gets the ordinary gradient of z (H(pre − θ) on z's path, nothing through the L0 term).
// The MSE is normalised by the top-k family's mse_scale 1/E‖x − μ‖², so λ is dimensionless as in the
// paper (inputs there have E‖x‖² = 1), and ε and the initial θ are given in units of √E‖x − μ‖².
// Its code is not k-sparse, so, like the standard SAE, the backward is dense, in micro-batches.
import { tf } from '../engine/backend.js';
import type { CreateSaeOptions, PendingStep, SaeExportMeta, SaeTrainState, SparseCode, StepResult, TrainableSae } from './api.js';
import { MAX_DENSE_ELEMENTS } from './bounds.js';
import { toSaeBundle } from './bundle.js';
import type { SaeTrainConfig } from './config.js';
import { deviceFiringFor, FiringStats, restoredDeviceFiring, type DeviceFiring } from './firing.js';
import { fitMseScale, initialParams } from './init.js';
import { clipFactor, clipFactorOnDevice } from './optimizer.js';
import { readSteps } from './pending.js';
import { BiasParam, LatentParams } from './params.js';
import { registerSae } from './registry.js';
import { gatherCombine } from './sparse-ops.js';
import { adamHyper, checkMseScale, checkParamShapes, checkStateConfig } from './sparse/trainer.js';
import type { SaeBundle } from './types.js';

export const LOG_THRESHOLD = 'log_threshold';

export interface JumpReluTensors {
  W_enc: tf.Tensor2D; // [dIn, dSae]
  b_enc: tf.Tensor1D; // [dSae]
  W_dec: tf.Tensor2D; // [dSae, dIn]
  b_dec: tf.Tensor1D; // [dIn]
  logThreshold: tf.Tensor1D; // [dSae]
}

export interface JumpReluLossSettings {
  /** Multiplier of ‖x − x̂‖² (1 / E‖x − μ‖²). */
  mseScale: number;
  /** ε, in the units of the pre-activations. */
  bandwidth: number;
  /** λ. */
  l0Coefficient: number;
}

export interface JumpReluGradients {
  grads: JumpReluTensors;
  /** Σ over the batch of ‖x − x̂‖². */
  sse: number;
  /** [dSae] tokens of the batch each latent fired on. */
  fired: Float32Array;
}

/**
 * ∂L/∂(every parameter) of L = mseScale · Σ_t ‖x_t − x̂_t‖² / B + λ Σ_t ‖z_t‖₀ / B, with the paper's
 * pseudo-derivatives for θ (through log θ: ∂/∂log θ = θ ∂/∂θ). b_dec's gradient includes its path
 * through the encoder input. The returned tensors are the caller's.
 */
export function jumpReluGradients(x: tf.Tensor2D, p: JumpReluTensors, loss: JumpReluLossSettings): JumpReluGradients {
  const { grads, sums } = jumpReluGradientTensors(x, p, loss);
  const sse = sums.sse.dataSync()[0];
  const fired = sums.fired.dataSync() as Float32Array;
  tf.dispose([sums.sse, sums.fired]);
  return { grads, sse, fired };
}

/** jumpReluGradients with its sums left on the device: sse [] and fired [dSae]. */
function jumpReluGradientTensors(x: tf.Tensor2D, p: JumpReluTensors, loss: JumpReluLossSettings): { grads: JumpReluTensors; sums: { sse: tf.Scalar; fired: tf.Tensor1D } } {
  const [batch, dIn] = x.shape;
  const dSae = p.W_enc.shape[1];
  const chunk = Math.max(1, Math.floor(MAX_DENSE_ELEMENTS / dSae));
  const threshold = tf.exp(p.logThreshold); // [dSae]
  const W_decT = tf.transpose(p.W_dec); // [dIn, dSae]; explicit, as wasm's transposed matMul is slow
  let acc: Record<'gEnc' | 'gBias' | 'gDec' | 'gBDec' | 'gTheta' | 'sse' | 'fired', tf.Tensor> = {
    gEnc: tf.zeros([dIn, dSae]), gBias: tf.zeros([dSae]), gDec: tf.zeros([dSae, dIn]), gBDec: tf.zeros([dIn]), gTheta: tf.zeros([dSae]), sse: tf.scalar(0), fired: tf.zeros([dSae]),
  };
  for (let start = 0; start < batch; start += chunk) {
    const rows = Math.min(chunk, batch - start);
    const next = tf.tidy(() => {
      const xs = x.slice([start, 0], [rows, dIn]); // [rows, dIn]
      const xc = xs.sub(p.b_dec); // [rows, dIn]
      const pre = tf.matMul(xc, p.W_enc).add(p.b_enc); // [rows, dSae]
      const gap = pre.sub(threshold); // [rows, dSae]
      const active = gap.greater(0).toFloat(); // [rows, dSae]: H(pre − θ)
      const z = pre.mul(active) as tf.Tensor2D; // [rows, dSae]
      const residual = tf.matMul(z, p.W_dec).add(p.b_dec).sub(xs); // [rows, dIn]
      const dOut = residual.mul((2 * loss.mseScale) / batch) as tf.Tensor2D; // [rows, dIn]
      const dZ = tf.matMul(dOut, W_decT); // [rows, dSae]
      const dPre = dZ.mul(active) as tf.Tensor2D; // [rows, dSae]
      // K((pre − θ)/ε) = 1 where |pre − θ| < ε/2 (rectangle kernel), else 0.
      const kernel = gap.abs().less(loss.bandwidth / 2).toFloat(); // [rows, dSae]
      // Σ_t (∂L/∂z_ti · −θ_i/ε + λ/B · −1/ε) K_ti, per latent.
      const dTheta = dZ.mul(threshold).add(loss.l0Coefficient / batch).mul(kernel).sum(0).mul(-1 / loss.bandwidth); // [dSae]
      return {
        gEnc: acc.gEnc.add(tf.matMul(tf.transpose(xc), dPre)), // [dIn, dSae]
        gBias: acc.gBias.add(dPre.sum(0)), // [dSae]
        gDec: acc.gDec.add(tf.matMul(tf.transpose(z), dOut)), // [dSae, dIn]
        gBDec: acc.gBDec.add(dOut.sum(0)), // [dIn]
        gTheta: acc.gTheta.add(dTheta), // [dSae]
        sse: acc.sse.add(residual.square().sum()),
        fired: acc.fired.add(active.sum(0)), // [dSae]
      };
    });
    tf.dispose(Object.values(acc));
    acc = next;
  }
  const grads = tf.tidy(() => ({
    W_enc: acc.gEnc.clone() as tf.Tensor2D,
    b_enc: acc.gBias.clone() as tf.Tensor1D,
    W_dec: acc.gDec.clone() as tf.Tensor2D,
    // pre = (x − b_dec) W_enc + b_enc, so b_dec's gradient through the encoder is −W_enc ∂b_enc.
    b_dec: acc.gBDec.sub(tf.matMul(p.W_enc, acc.gBias.expandDims(1)).reshape([dIn])) as tf.Tensor1D, // [dIn]
    logThreshold: acc.gTheta.mul(threshold) as tf.Tensor1D, // [dSae]
  }));
  tf.dispose([acc.gEnc, acc.gBias, acc.gDec, acc.gBDec, acc.gTheta, threshold, W_decT]);
  return { grads, sums: { sse: acc.sse as tf.Scalar, fired: acc.fired as tf.Tensor1D } };
}

export class JumpReluSae implements TrainableSae {
  private t = 0;
  readonly stepDeferred?: (x: tf.Tensor2D) => Promise<PendingStep>;

  private constructor(
    readonly config: SaeTrainConfig,
    private readonly latents: LatentParams,
    private readonly bDec: BiasParam,
    /** log θ with its Adam moments (a per-latent vector, so BiasParam's Adam slot serves). */
    private readonly logThreshold: BiasParam,
    private firing: FiringStats,
    private mseScale: number,
    /** Off wasm: the firing statistics as tensors, so the step reads nothing back; `firing` is then only their initial state. */
    private deviceFiring?: DeviceFiring,
  ) {
    if (deviceFiring) this.stepDeferred = async (x) => this.deviceStep(x, this.deviceFiring!);
  }

  static async create(config: SaeTrainConfig, options: CreateSaeOptions): Promise<JumpReluSae> {
    if ((options.shards ?? 1) !== 1) throw new Error(`SAE shards = ${options.shards}: the JumpReLU SAE runs in one thread; use shards = 1`);
    const params = options.weights ?? initialParams(config, options.sample);
    checkParamShapes(config, params, 'SAE initial weights');
    const mseScale = fitMseScale(config.dIn, options.sample);
    const zeros = () => ({ W_enc: new Float32Array(params.W_enc.length), b_enc: new Float32Array(config.dSae), W_dec: new Float32Array(params.W_dec.length) });
    const latents = new LatentParams(config.dIn, config.dSae, { params, adamM: zeros(), adamV: zeros() });
    const initial = Math.log(config.jumpReluInitThreshold * inputScale(mseScale));
    const firing = FiringStats.empty(config.dSae);
    return new JumpReluSae(config, latents, new BiasParam(params.b_dec), new BiasParam(new Float32Array(config.dSae).fill(initial)), firing, mseScale, deviceFiringFor(firing));
  }

  async step(x: tf.Tensor2D): Promise<StepResult> {
    if (this.deviceFiring) return (await readSteps([this.deviceStep(x, this.deviceFiring)]))[0];
    const batch = this.checkBatch(x, 'step');
    const t = ++this.t;
    const { grads, sse, fired } = jumpReluGradients(x, this.tensors(), this.lossSettings());
    const latentGrads = { W_enc: grads.W_enc, b_enc: grads.b_enc, W_dec: grads.W_dec };
    const vectorSquares = tf.tidy(() => grads.b_dec.square().sum().add(grads.logThreshold.square().sum()).dataSync()[0]);
    const gradScale = clipFactor(this.config, this.latents.squaredNorm(latentGrads) + vectorSquares);
    this.apply(grads, t, gradScale);

    const variance = tf.tidy(() => x.sub(x.mean(0)).square().sum().dataSync()[0]);
    this.firing.record(fired, batch);
    return this.result(batch, sse, variance, fired.reduce((a, b) => a + b, 0), this.firing.deadFraction(this.config.deadTokensWindow));
  }

  /** The same step without reading anything back (off wasm, DeviceFiring keeping the firing statistics). */
  private deviceStep(x: tf.Tensor2D, firing: DeviceFiring): PendingStep {
    const batch = this.checkBatch(x, 'step');
    const t = ++this.t;
    const { grads, sums } = jumpReluGradientTensors(x, this.tensors(), this.lossSettings());
    const scalars = tf.tidy(() => {
      const latentGrads = { W_enc: grads.W_enc, b_enc: grads.b_enc, W_dec: grads.W_dec };
      const squares = this.latents.squaredNormOnDevice(latentGrads).add(grads.b_dec.square().sum()).add(grads.logThreshold.square().sum()) as tf.Scalar;
      this.apply(grads, t, clipFactorOnDevice(this.config, squares));
      firing.record(sums.fired, batch);
      return [sums.sse, x.sub(x.mean(0)).square().sum(), sums.fired.sum(), firing.deadFraction(this.config.deadTokensWindow)] as tf.Scalar[];
    });
    // sse is among the scalars, which readSteps frees.
    sums.fired.dispose();
    return { scalars, resolve: ([sse, variance, active, deadFraction]) => this.result(batch, sse, variance, active, deadFraction) };
  }

  private tensors(): JumpReluTensors {
    const { W_enc, b_enc, W_dec } = this.latents;
    return { W_enc, b_enc, W_dec, b_dec: this.bDec.value, logThreshold: this.logThreshold.value };
  }

  private lossSettings(): JumpReluLossSettings {
    return { mseScale: this.mseScale, bandwidth: this.config.jumpReluBandwidth * inputScale(this.mseScale), l0Coefficient: this.config.l0Coefficient };
  }

  /** Adam on every parameter with the gradients times `gradScale`; frees the gradients. */
  private apply(grads: JumpReluTensors, t: number, gradScale: number | tf.Scalar): void {
    const hyper = adamHyper(this.config, t);
    this.latents.apply({ W_enc: grads.W_enc, b_enc: grads.b_enc, W_dec: grads.W_dec }, hyper, t, gradScale);
    this.bDec.apply(grads.b_dec, hyper, t, gradScale);
    this.logThreshold.apply(grads.logThreshold, hyper, t, gradScale);
    tf.dispose(Object.values(grads));
  }

  /** The step's result from its sums; `active` counts (token, latent) firings. */
  private result(batch: number, sse: number, variance: number, active: number, deadFraction: number): StepResult {
    const l0 = active / batch;
    const losses = { mse: (this.mseScale * sse) / batch, l0: this.config.l0Coefficient * l0 };
    return {
      loss: losses.mse + losses.l0,
      losses,
      metrics: { l0, fvu: sse / Math.max(variance, 1e-12), deadFraction, auxLatents: 0, tokens: batch },
    };
  }

  async encodeDense(x: tf.Tensor2D): Promise<tf.Tensor2D> {
    this.checkBatch(x, 'encode');
    return tf.tidy(() => {
      const pre = tf.matMul(x.sub(this.bDec.value), this.latents.W_enc).add(this.latents.b_enc); // [batch, dSae]
      return pre.mul(pre.greater(tf.exp(this.logThreshold.value))) as tf.Tensor2D; // [batch, dSae]
    });
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
    const threshold = state.extra![LOG_THRESHOLD].map(Math.exp);
    return toSaeBundle(this.config, state.params, this.firingStats().logSparsity(), meta, 'jumprelu', threshold);
  }

  async getState(): Promise<SaeTrainState> {
    const latents = this.latents.getState();
    const bias = this.bDec.getState();
    const theta = this.logThreshold.getState();
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
      mseScale: this.mseScale,
      extra: { [LOG_THRESHOLD]: theta.value, [`adamM.${LOG_THRESHOLD}`]: theta.m, [`adamV.${LOG_THRESHOLD}`]: theta.v },
    };
  }

  async setState(state: SaeTrainState): Promise<void> {
    checkStateConfig(this.config, state);
    for (const part of ['params', 'adamM', 'adamV'] as const) checkParamShapes(this.config, state[part], `SAE state ${part}`);
    const theta = [LOG_THRESHOLD, `adamM.${LOG_THRESHOLD}`, `adamV.${LOG_THRESHOLD}`].map((name) => {
      const values = state.extra?.[name];
      if (values?.length !== this.config.dSae) throw new Error(`SAE setState: a JumpReLU state needs extra "${name}" of dSae = ${this.config.dSae} values, got ${values?.length ?? 'none'}`);
      return values;
    });
    this.latents.setState({ params: state.params, adamM: state.adamM, adamV: state.adamV });
    this.bDec.setState({ value: state.params.b_dec, m: state.adamM.b_dec, v: state.adamV.b_dec });
    this.logThreshold.setState({ value: theta[0], m: theta[1], v: theta[2] });
    this.firing = new FiringStats(state.tokensSinceFired.slice(), state.firingCounts.slice(), state.tokensSeen);
    this.deviceFiring = restoredDeviceFiring(this.deviceFiring, this.firing);
    this.t = state.step;
    this.mseScale = checkMseScale(state.mseScale);
  }

  async dispose(): Promise<void> {
    this.latents.dispose();
    this.bDec.dispose();
    this.logThreshold.dispose();
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

/** √E‖x − μ‖², the unit of jumpReluBandwidth and jumpReluInitThreshold. */
function inputScale(mseScale: number): number {
  return 1 / Math.sqrt(mseScale);
}

registerSae('jumprelu', (config, options) => JumpReluSae.create(config, options));
