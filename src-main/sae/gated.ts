// The gated SAE of Rajamanoharan et al. 2024a ("Improving dictionary learning with gated sparse
// autoencoders"), DeepMind's. Which latents fire and how strongly are separate paths that share the
// encoder directions:
//   π_gate = (x − b_dec) W_enc + b_gate,   π_mag = (x − b_dec) (W_enc ⊙ exp(r_mag)) + b_mag,
//   z = 1[π_gate > 0] ⊙ ReLU(π_mag),        x̂ = W_dec z + b_dec  (decoder rows unit-norm),
//   L = ‖x − x̂‖² + λ ‖ReLU(π_gate)‖₁ + ‖x − x̂_frozen(ReLU(π_gate))‖²   (§3.2, eq. 8)
// where x̂_frozen decodes with a copy of W_dec and b_dec that receives no gradient: the auxiliary term
// trains the gate to reconstruct on its own, without pulling the decoder. The Heaviside passes no
// gradient, so the gate learns only from the L1 and auxiliary terms. As elsewhere here, the squared
// errors are normalised by mse_scale = 1/E‖x − μ‖², and the L1 term measures π_gate in units of
// √E‖x − μ‖², so λ (config.l1Coefficient) is dimensionless. The backward is dense, in micro-batches.
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

/** The per-latent vectors beyond SaeParamArrays, as SAELens names them (b_gate travels as b_enc). */
const VECTORS = ['b_mag', 'r_mag'] as const;

export interface GatedTensors {
  W_enc: tf.Tensor2D; // [dIn, dSae]
  b_gate: tf.Tensor1D; // [dSae]
  r_mag: tf.Tensor1D; // [dSae]
  b_mag: tf.Tensor1D; // [dSae]
  W_dec: tf.Tensor2D; // [dSae, dIn]
  b_dec: tf.Tensor1D; // [dIn]
}

export interface GatedLossSettings {
  /** Multiplier of both squared errors (1 / E‖x − μ‖²). */
  mseScale: number;
  /** λ divided by √E‖x − μ‖²: the weight of Σ ReLU(π_gate) per token. */
  l1Weight: number;
}

export interface GatedGradients {
  grads: GatedTensors;
  /** Σ over the batch of ‖x − x̂‖², of the auxiliary ‖x − x̂_frozen‖², and of ReLU(π_gate). */
  sse: number;
  auxSse: number;
  gateL1: number;
  /** [dSae] tokens each latent fired on (z > 0). */
  fired: Float32Array;
}

/**
 * ∂L/∂(every parameter) of L = mseScale Σ_t (‖x − x̂‖² + ‖x − x̂_frozen‖²) / B + l1Weight Σ_t ‖ReLU(π_gate)‖₁ / B,
 * W_dec and b_dec receiving nothing from the frozen copy. The returned tensors are the caller's.
 */
export function gatedGradients(x: tf.Tensor2D, p: GatedTensors, loss: GatedLossSettings): GatedGradients {
  const { grads, sums } = gatedGradientTensors(x, p, loss);
  const read = (t: tf.Tensor) => t.dataSync()[0];
  const result = { grads, sse: read(sums.sse), auxSse: read(sums.auxSse), gateL1: read(sums.gateL1), fired: sums.fired.dataSync() as Float32Array };
  tf.dispose(Object.values(sums));
  return result;
}

/** The sums gatedGradients reads back, left on the device. */
type GatedSums = { sse: tf.Scalar; auxSse: tf.Scalar; gateL1: tf.Scalar; fired: tf.Tensor1D };

function gatedGradientTensors(x: tf.Tensor2D, p: GatedTensors, loss: GatedLossSettings): { grads: GatedTensors; sums: GatedSums } {
  const [batch, dIn] = x.shape;
  const dSae = p.W_enc.shape[1];
  const chunk = Math.max(1, Math.floor(MAX_DENSE_ELEMENTS / dSae));
  const magScale = tf.exp(p.r_mag); // [dSae]
  const W_mag = p.W_enc.mul(magScale) as tf.Tensor2D; // [dIn, dSae]
  const W_decT = tf.transpose(p.W_dec); // [dIn, dSae]; explicit, as wasm's transposed matMul is slow
  const names = ['gMagCols', 'gGateCols', 'gBMag', 'gBGate', 'gDec', 'gOut', 'sse', 'auxSse', 'gateL1', 'fired'] as const;
  let acc: Record<(typeof names)[number], tf.Tensor> = {
    gMagCols: tf.zeros([dIn, dSae]), gGateCols: tf.zeros([dIn, dSae]), gBMag: tf.zeros([dSae]), gBGate: tf.zeros([dSae]), gDec: tf.zeros([dSae, dIn]), gOut: tf.zeros([dIn]),
    sse: tf.scalar(0), auxSse: tf.scalar(0), gateL1: tf.scalar(0), fired: tf.zeros([dSae]),
  };
  const twice = (2 * loss.mseScale) / batch;
  for (let start = 0; start < batch; start += chunk) {
    const rows = Math.min(chunk, batch - start);
    const next = tf.tidy(() => {
      const xs = x.slice([start, 0], [rows, dIn]); // [rows, dIn]
      const xc = xs.sub(p.b_dec); // [rows, dIn]
      const piGate = tf.matMul(xc, p.W_enc).add(p.b_gate); // [rows, dSae]
      const piMag = tf.matMul(xc, W_mag).add(p.b_mag); // [rows, dSae]
      const open = piGate.greater(0).toFloat(); // [rows, dSae]
      const z = open.mul(piMag.relu()) as tf.Tensor2D; // [rows, dSae]
      const gateActs = piGate.relu() as tf.Tensor2D; // [rows, dSae]
      const residual = tf.matMul(z, p.W_dec).add(p.b_dec).sub(xs); // [rows, dIn]
      const auxResidual = tf.matMul(gateActs, p.W_dec).add(p.b_dec).sub(xs); // [rows, dIn]; W_dec, b_dec frozen here
      const dOut = residual.mul(twice) as tf.Tensor2D; // [rows, dIn]
      const dPiMag = tf.matMul(dOut, W_decT).mul(open).mul(piMag.greater(0)) as tf.Tensor2D; // [rows, dSae]
      const dPiGate = tf.matMul(auxResidual.mul(twice), W_decT).add(loss.l1Weight / batch).mul(open) as tf.Tensor2D; // [rows, dSae]
      const xcT = tf.transpose(xc); // [dIn, rows]
      return {
        gMagCols: acc.gMagCols.add(tf.matMul(xcT, dPiMag)), // [dIn, dSae]: ∂L/∂W_mag
        gGateCols: acc.gGateCols.add(tf.matMul(xcT, dPiGate)), // [dIn, dSae]: ∂L/∂W_enc through the gate
        gBMag: acc.gBMag.add(dPiMag.sum(0)), // [dSae]
        gBGate: acc.gBGate.add(dPiGate.sum(0)), // [dSae]
        gDec: acc.gDec.add(tf.matMul(tf.transpose(z), dOut)), // [dSae, dIn]
        gOut: acc.gOut.add(dOut.sum(0)), // [dIn]
        sse: acc.sse.add(residual.square().sum()),
        auxSse: acc.auxSse.add(auxResidual.square().sum()),
        gateL1: acc.gateL1.add(gateActs.sum()),
        fired: acc.fired.add(z.greater(0).sum(0)), // [dSae]
      };
    });
    tf.dispose(Object.values(acc));
    acc = next;
  }
  const grads = tf.tidy(() => ({
    // W_mag = W_enc ⊙ exp(r_mag) column-wise: W_enc's gradient gets ∂L/∂W_mag ⊙ exp(r_mag), r_mag's Σ_d W_mag ⊙ ∂L/∂W_mag.
    W_enc: acc.gGateCols.add(acc.gMagCols.mul(magScale)) as tf.Tensor2D,
    b_gate: acc.gBGate.clone() as tf.Tensor1D,
    r_mag: acc.gMagCols.mul(W_mag).sum(0) as tf.Tensor1D,
    b_mag: acc.gBMag.clone() as tf.Tensor1D,
    W_dec: acc.gDec.clone() as tf.Tensor2D,
    // Both paths read x − b_dec: b_dec's gradient through the encoder is −W_mag ∂b_mag − W_enc ∂b_gate.
    b_dec: acc.gOut.sub(tf.matMul(W_mag, acc.gBMag.expandDims(1)).reshape([dIn])).sub(tf.matMul(p.W_enc, acc.gBGate.expandDims(1)).reshape([dIn])) as tf.Tensor1D,
  }));
  const sums = { sse: acc.sse, auxSse: acc.auxSse, gateL1: acc.gateL1, fired: acc.fired } as GatedSums;
  tf.dispose([acc.gMagCols, acc.gGateCols, acc.gBMag, acc.gBGate, acc.gDec, acc.gOut, magScale, W_mag, W_decT]);
  return { grads, sums };
}

export class GatedSae implements TrainableSae {
  private t = 0;
  readonly stepDeferred?: (x: tf.Tensor2D) => Promise<PendingStep>;

  private constructor(
    readonly config: SaeTrainConfig,
    /** W_enc, b_gate (in the b_enc slot) and W_dec. */
    private readonly latents: LatentParams,
    private readonly bDec: BiasParam,
    /** b_mag and r_mag with their Adam moments (per-latent vectors, so BiasParam's Adam slot serves). */
    private readonly vectors: Record<(typeof VECTORS)[number], BiasParam>,
    private firing: FiringStats,
    private mseScale: number,
    /** Off wasm: the firing statistics as tensors, so the step reads nothing back; `firing` is then only their initial state. */
    private deviceFiring?: DeviceFiring,
  ) {
    if (deviceFiring) this.stepDeferred = async (x) => this.deviceStep(x, this.deviceFiring!);
  }

  static async create(config: SaeTrainConfig, options: CreateSaeOptions): Promise<GatedSae> {
    if ((options.shards ?? 1) !== 1) throw new Error(`SAE shards = ${options.shards}: the gated SAE runs in one thread; use shards = 1`);
    const params = options.weights ?? initialParams(config, options.sample);
    checkParamShapes(config, params, 'SAE initial weights');
    const zeros = () => ({ W_enc: new Float32Array(params.W_enc.length), b_enc: new Float32Array(config.dSae), W_dec: new Float32Array(params.W_dec.length) });
    const latents = new LatentParams(config.dIn, config.dSae, { params, adamM: zeros(), adamV: zeros() });
    // r_mag = 0 and b_mag = 0: the magnitude path starts as the gate's pre-activation.
    const vectors = { b_mag: new BiasParam(new Float32Array(config.dSae)), r_mag: new BiasParam(new Float32Array(config.dSae)) };
    const firing = FiringStats.empty(config.dSae);
    return new GatedSae(config, latents, new BiasParam(params.b_dec), vectors, firing, fitMseScale(config.dIn, options.sample), deviceFiringFor(firing));
  }

  private tensors(): GatedTensors {
    const { W_enc, b_enc, W_dec } = this.latents;
    return { W_enc, b_gate: b_enc, W_dec, b_dec: this.bDec.value, b_mag: this.vectors.b_mag.value, r_mag: this.vectors.r_mag.value };
  }

  async step(x: tf.Tensor2D): Promise<StepResult> {
    if (this.deviceFiring) return (await readSteps([this.deviceStep(x, this.deviceFiring)]))[0];
    const batch = this.checkBatch(x, 'step');
    const t = ++this.t;
    const { grads, sse, auxSse, gateL1, fired } = gatedGradients(x, this.tensors(), this.lossSettings());
    const latentGrads = { W_enc: grads.W_enc, b_enc: grads.b_gate, W_dec: grads.W_dec };
    const vectorSquares = tf.tidy(() => grads.b_dec.square().sum().add(grads.b_mag.square().sum()).add(grads.r_mag.square().sum()).dataSync()[0]);
    const gradScale = clipFactor(this.config, this.latents.squaredNorm(latentGrads) + vectorSquares);
    this.apply(grads, t, gradScale);

    const variance = tf.tidy(() => x.sub(x.mean(0)).square().sum().dataSync()[0]);
    this.firing.record(fired, batch);
    return this.result(batch, [sse, auxSse, gateL1, variance, fired.reduce((a, b) => a + b, 0), this.firing.deadFraction(this.config.deadTokensWindow)]);
  }

  /** The same step without reading anything back (off wasm, DeviceFiring keeping the firing statistics). */
  private deviceStep(x: tf.Tensor2D, firing: DeviceFiring): PendingStep {
    const batch = this.checkBatch(x, 'step');
    const t = ++this.t;
    const { grads, sums } = gatedGradientTensors(x, this.tensors(), this.lossSettings());
    const scalars = tf.tidy(() => {
      const latentGrads = { W_enc: grads.W_enc, b_enc: grads.b_gate, W_dec: grads.W_dec };
      const squares = this.latents.squaredNormOnDevice(latentGrads).add(grads.b_dec.square().sum()).add(grads.b_mag.square().sum()).add(grads.r_mag.square().sum()) as tf.Scalar;
      this.apply(grads, t, clipFactorOnDevice(this.config, squares));
      firing.record(sums.fired, batch);
      return [sums.sse, sums.auxSse, sums.gateL1, x.sub(x.mean(0)).square().sum(), sums.fired.sum(), firing.deadFraction(this.config.deadTokensWindow)] as tf.Scalar[];
    });
    // The other sums are among the scalars, which readSteps frees.
    sums.fired.dispose();
    return { scalars, resolve: (values) => this.result(batch, values) };
  }

  private lossSettings(): GatedLossSettings {
    return { mseScale: this.mseScale, l1Weight: this.l1Weight() };
  }

  private l1Weight(): number {
    return this.config.l1Coefficient * Math.sqrt(this.mseScale);
  }

  /** Adam on every parameter with the gradients times `gradScale`; frees the gradients. */
  private apply(grads: GatedTensors, t: number, gradScale: number | tf.Scalar): void {
    const hyper = adamHyper(this.config, t);
    this.latents.apply({ W_enc: grads.W_enc, b_enc: grads.b_gate, W_dec: grads.W_dec }, hyper, t, gradScale);
    this.bDec.apply(grads.b_dec, hyper, t, gradScale);
    for (const name of VECTORS) this.vectors[name].apply(grads[name], hyper, t, gradScale);
    tf.dispose(Object.values(grads));
  }

  /** The step's result from its sums: sse, auxSse, gateL1, the input's variance, (token, latent) firings, the dead fraction. */
  private result(batch: number, [sse, auxSse, gateL1, variance, active, deadFraction]: number[]): StepResult {
    const losses = { mse: (this.mseScale * sse) / batch, l1: (this.l1Weight() * gateL1) / batch, aux: (this.mseScale * auxSse) / batch };
    return {
      loss: losses.mse + losses.l1 + losses.aux,
      losses,
      metrics: { l0: active / batch, fvu: sse / Math.max(variance, 1e-12), deadFraction, auxLatents: 0, tokens: batch },
    };
  }

  async encodeDense(x: tf.Tensor2D): Promise<tf.Tensor2D> {
    this.checkBatch(x, 'encode');
    const p = this.tensors();
    return tf.tidy(() => {
      const shared = tf.matMul(x.sub(p.b_dec), p.W_enc); // [batch, dSae]
      const open = shared.add(p.b_gate).greater(0); // [batch, dSae]
      return shared.mul(tf.exp(p.r_mag)).add(p.b_mag).relu().mul(open) as tf.Tensor2D; // [batch, dSae]
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

  /** SAELens's gated layout: W_enc, b_gate, r_mag, b_mag, W_dec, b_dec (no b_enc). */
  async toBundle(meta: SaeExportMeta): Promise<SaeBundle> {
    const state = await this.getState();
    const bundle = toSaeBundle(this.config, state.params, this.firingStats().logSparsity(), meta, 'gated');
    return { ...bundle, weights: { ...bundle.weights, b_enc: new Float32Array(0), b_gate: state.params.b_enc.slice(), b_mag: state.extra!.b_mag, r_mag: state.extra!.r_mag } };
  }

  async getState(): Promise<SaeTrainState> {
    const latents = this.latents.getState();
    const bias = this.bDec.getState();
    const extra: Record<string, Float32Array> = {};
    for (const name of VECTORS) {
      const v = this.vectors[name].getState();
      Object.assign(extra, { [name]: v.value, [`adamM.${name}`]: v.m, [`adamV.${name}`]: v.v });
    }
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
      extra,
    };
  }

  async setState(state: SaeTrainState): Promise<void> {
    checkStateConfig(this.config, state);
    for (const part of ['params', 'adamM', 'adamV'] as const) checkParamShapes(this.config, state[part], `SAE state ${part}`);
    const vector = (name: string): Float32Array => {
      const values = state.extra?.[name];
      if (values?.length !== this.config.dSae) throw new Error(`SAE setState: a gated state needs extra "${name}" of dSae = ${this.config.dSae} values, got ${values?.length ?? 'none'}`);
      return values;
    };
    const vectors = VECTORS.map((name) => ({ value: vector(name), m: vector(`adamM.${name}`), v: vector(`adamV.${name}`) }));
    this.latents.setState({ params: state.params, adamM: state.adamM, adamV: state.adamV });
    this.bDec.setState({ value: state.params.b_dec, m: state.adamM.b_dec, v: state.adamV.b_dec });
    VECTORS.forEach((name, i) => this.vectors[name].setState(vectors[i]));
    this.firing = new FiringStats(state.tokensSinceFired.slice(), state.firingCounts.slice(), state.tokensSeen);
    this.deviceFiring = restoredDeviceFiring(this.deviceFiring, this.firing);
    this.t = state.step;
    this.mseScale = checkMseScale(state.mseScale);
  }

  async dispose(): Promise<void> {
    this.latents.dispose();
    this.bDec.dispose();
    for (const name of VECTORS) this.vectors[name].dispose();
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

registerSae('gated', (config, options) => GatedSae.create(config, options));
