// The training step of the top-k-family SAEs (topk, batchtopk), coordinating latent shards.
// One step, after Gao et al. 2024 and OpenAI's sparse_autoencoder:
//   1. every shard encodes its latent range densely and returns its top candidates per token;
//   2. here: merge to the global top-k (n_op_shards), apply the architecture's rule (rule.ts),
//      pick AuxK's top-k_aux dead latents, split the codes back per shard;
//   3. shards decode their part; here: x̂ = Σ parts + b_dec, the losses and ∂L/∂x̂;
//   4. shards run the sparse backward and their Adam step; here: b_dec's gradient and Adam step.
// With one in-thread shard this is the single-threaded trainer; the arithmetic is identical.
// Off wasm (tfjs-node, CUDA) one shard does the whole step on the device instead (`deviceStep`): the
// codes, gradients, firing counts and metrics stay tensors, and the trainer reads the metrics at its
// report interval. On wasm the host path is the fast one: its merges and splits are cheap JS over
// codes the fused kernels read anyway, and worker shards need the codes on the host.
import { engineInfo, tf } from '../../engine/backend.js';
import type { AdamHyper } from '../adam.js';
import { clipFactor, clipFactorOnDevice, learningRate } from '../optimizer.js';
import type { CreateSaeOptions, PendingStep, SaeExportMeta, SaeParamArrays, SaeTrainState, SparseCode, StepResult, TrainableSae } from '../api.js';
import { toSaeBundle } from '../bundle.js';
import type { SaeTrainConfig } from '../config.js';
import { DeviceFiring, FiringStats } from '../firing.js';
import { fitMseScale, initialParams } from '../init.js';
import { BiasParam, joinLatents, shardRanges, sliceLatents } from '../params.js';
import { flatIds, gatherCombine, sliceIds } from '../sparse-ops.js';
import type { SaeBundle } from '../types.js';
import { countActive, leadingRelu, mergeTopK, splitByRange, type HostCode, type TensorCode } from './codes.js';
import { BatchInput, LocalShardHandle, type ShardHandle } from './handle.js';
import { readSteps } from '../pending.js';
import type { ExtraCode, RuleState, SparseRule } from './rule.js';
import { LatentShard } from './shard.js';

/** Adam's settings at step t (1-based): the learning rate follows the warm-up (optimizer.ts). */
export function adamHyper(config: SaeTrainConfig, t: number): AdamHyper {
  return { lr: learningRate(config, t), beta1: config.adamBeta1, beta2: config.adamBeta2, eps: config.adamEps };
}

export function checkParamShapes(config: SaeTrainConfig, params: SaeParamArrays, what: string): void {
  const { dIn, dSae } = config;
  const expected: Record<keyof SaeParamArrays, number> = { W_enc: dIn * dSae, b_enc: dSae, W_dec: dSae * dIn, b_dec: dIn };
  for (const key of Object.keys(expected) as Array<keyof SaeParamArrays>) {
    if (params[key]?.length !== expected[key]) {
      throw new Error(`${what}: ${key} has ${params[key]?.length} values, expected ${expected[key]} for dIn ${dIn}, dSae ${dSae}`);
    }
  }
}

/** What the device step keeps: the single in-thread shard, and the firing statistics as tensors. */
interface OnDevice {
  shard: LatentShard;
  firing: DeviceFiring;
}

export class SparseSae implements TrainableSae {
  private t = 0;
  private readonly rule: RuleState = { threshold: 0 };
  readonly stepDeferred?: (x: tf.Tensor2D) => Promise<PendingStep>;

  private constructor(
    readonly config: SaeTrainConfig,
    private readonly sparseRule: SparseRule,
    private readonly shards: ShardHandle[],
    private readonly bDec: BiasParam,
    private firing: FiringStats,
    private mseScale: number,
    /** Set when the step stays on the device; `firing` above is then only its initial state. */
    private readonly onDevice?: OnDevice,
  ) {
    if (onDevice) this.stepDeferred = async (x) => this.deviceStep(x, onDevice);
  }

  static async create(config: SaeTrainConfig, rule: SparseRule, options: CreateSaeOptions = {}): Promise<SparseSae> {
    const params = options.weights ?? initialParams(config, options.sample);
    checkParamShapes(config, params, 'SAE initial weights');
    const shardCount = options.shards ?? 1;
    if (!Number.isInteger(shardCount) || shardCount < 1 || shardCount > config.dSae) {
      throw new Error(`SAE shards = ${shardCount} is invalid; expected an integer in [1, dSae = ${config.dSae}]`);
    }
    const zeros = (n: number) => new Float32Array(n);
    const slices = shardRanges(config.dSae, shardCount).map(({ offset, count }) => ({
      offset,
      count,
      state: {
        params: sliceLatents(params, config.dIn, config.dSae, offset, count),
        adamM: { W_enc: zeros(config.dIn * count), b_enc: zeros(count), W_dec: zeros(count * config.dIn) },
        adamV: { W_enc: zeros(config.dIn * count), b_enc: zeros(count), W_dec: zeros(count * config.dIn) },
      },
    }));
    if (shardCount > 1 && engineInfo().backend === 'tensorflow') {
      throw new Error(`SAE shards = ${shardCount}: worker shards exist to use several cores with the single-threaded wasm backend; the tensorflow backend (${engineInfo().package}) already uses them all, so use shards = 1`);
    }
    const firing = FiringStats.empty(config.dSae);
    const mseScale = fitMseScale(config.dIn, options.sample);
    if (shardCount === 1) {
      const shard = new LatentShard(config.dIn, slices[0].offset, slices[0].count, slices[0].state);
      const onDevice = tf.getBackend() !== 'wasm' && rule.trainOnDevice ? { shard, firing: new DeviceFiring(firing) } : undefined;
      return new SparseSae(config, rule, [new LocalShardHandle(shard)], new BiasParam(params.b_dec), firing, mseScale, onDevice);
    }
    const { startWorkerShard } = await import('./remote.js');
    const shards = await Promise.all(slices.map((s) => startWorkerShard(config, s.offset, s.count, s.state)));
    return new SparseSae(config, rule, shards, new BiasParam(params.b_dec), firing, mseScale);
  }

  async step(x: tf.Tensor2D): Promise<StepResult> {
    if (!this.onDevice) return this.hostStep(x);
    const [result] = await readSteps([this.deviceStep(x, this.onDevice)]);
    return result;
  }

  /** The step with codes on the host: worker shards, and the wasm backend. */
  private async hostStep(x: tf.Tensor2D): Promise<StepResult> {
    const { config } = this;
    const batch = this.checkBatch(x, 'step');
    const input = new BatchInput(x);
    const t = ++this.t;

    const dead = this.firing.deadMask(config.deadTokensWindow);
    const deadCount = dead.reduce((a, b) => a + b, 0);
    const auxWidth = config.auxK > 0 && config.auxKCoefficient > 0 ? Math.min(config.auxK, deadCount) : 0;
    const { found, merged } = await this.candidates(input, this.sparseRule.trainingCandidates(config), 'train', auxWidth > 0 ? dead : undefined, auxWidth);
    const { main, extras = [] } = this.sparseRule.train(merged, config, this.rule);
    // Shards without dead latents return no AuxK candidates; the others hold at least auxWidth in total.
    const aux = auxWidth > 0 ? leadingRelu(mergeTopK(found.flatMap((f) => (f.aux ? [f.aux] : [])), auxWidth), auxWidth) : undefined;
    const codeSets = [main, ...extras.map((e) => e.code), ...(aux ? [aux] : [])];
    const partials = await this.decodeSets(codeSets);

    const terms = lossTerms(config, this.mseScale, x, this.bDec.value, partials, extras, aux !== undefined);
    tf.dispose(partials);

    const dHost = terms.dOutputs.map((d) => d.dataSync() as Float32Array);
    const parts = await Promise.all(this.shards.map((s) => s.backward(dHost)));
    const bDecGrad = tf.tidy(() => parts.reduce((sum: tf.Tensor1D, p) => sum.add(tf.tensor1d(p.bDecPart)), terms.bDecGrad));
    // Clipping needs the norm of the whole gradient, so every shard reports before any steps.
    const bDecSquared = tf.tidy(() => bDecGrad.square().sum().dataSync()[0]);
    const gradScale = clipFactor(config, parts.reduce((sum, p) => sum + p.squaredNorm, bDecSquared));
    const hyper = adamHyper(config, t);
    this.bDec.apply(bDecGrad, hyper, t, gradScale);
    await Promise.all(this.shards.map((s) => s.update(hyper, t, gradScale)));

    const counts = new Float32Array(config.dSae);
    for (let i = 0; i < main.values.length; i++) if (main.values[i] > 0) counts[main.indices[i]]++;
    this.firing.record(counts, batch);

    const losses = Object.fromEntries(Object.entries(terms.losses).map(([name, v]) => [name, v.dataSync()[0]]));
    const fvu = terms.fvu.dataSync()[0];
    const prefixed = extras.filter((e) => e.prefix !== undefined);
    const prefixes = prefixed.map((e, i) => ({ dSae: e.prefix!, fvu: terms.prefixFvu[i].dataSync()[0], l0: countActive(e.code) / batch }));
    tf.dispose([bDecGrad, terms.bDecGrad, terms.fvu, ...terms.prefixFvu, ...terms.dOutputs, ...Object.values(terms.losses)]);
    const active = counts.reduce((a, b) => a + b, 0);
    return {
      loss: Object.values(losses).reduce((a, b) => a + b, 0),
      losses,
      metrics: {
        l0: active / batch,
        fvu,
        deadFraction: this.firing.deadFraction(config.deadTokensWindow),
        auxLatents: auxWidth,
        tokens: batch,
        ...(prefixes.length ? { prefixes } : {}),
      },
    };
  }

  /**
   * The step with everything on the device (one in-thread shard off wasm): the same arithmetic as
   * hostStep, with AuxK's width fixed at min(k_aux, dSae) so no shape depends on the data (alive
   * latents fill the spare slots at −1e30 and the ReLU zeroes them). AuxK is left out, as hostStep
   * leaves it out, while no latent can be dead yet (DeviceFiring.mayHaveDead): at k_aux = d/2 it is
   * most of a step's sparse work. Nothing is read back.
   */
  private deviceStep(x: tf.Tensor2D, { shard, firing }: OnDevice): PendingStep {
    const { config } = this;
    const batch = this.checkBatch(x, 'step');
    const t = ++this.t;
    const auxWidth = config.auxK > 0 && config.auxKCoefficient > 0 && firing.mayHaveDead(config.deadTokensWindow) ? Math.min(config.auxK, config.dSae) : 0;
    const width = Math.min(this.sparseRule.trainingCandidates(config), config.dSae);
    const { mainWidth, extras } = this.sparseRule.trainOnDevice!(config);
    const lossNames = [...new Set(['mse', ...extras.map((e) => e.name), ...(auxWidth > 0 ? ['auxk'] : [])])];
    const scalars = tf.tidy(() => {
      const bDec = this.bDec.value;
      const dead = auxWidth > 0 ? firing.deadMask(config.deadTokensWindow) : undefined; // [dSae]
      const deadCount = dead ? (dead.sum() as tf.Scalar) : tf.scalar(0);
      const found = shard.topCandidates(x, bDec, width, dead ? (dead.sub(1).mul(1e30) as tf.Tensor1D) : undefined, auxWidth);
      const relu = (c: TensorCode, slots: number): TensorCode => ({ values: c.values.slice([0, 0], [batch, slots]).relu(), indices: sliceIds(c.indices, [0, 0], [batch, slots]) });
      const codes = [relu(found.main, mainWidth), ...extras.map((e) => relu(found.main, e.width)), ...(found.aux ? [relu(found.aux, auxWidth)] : [])];
      const partials = codes.map((c) => gatherCombine(shard.params.W_dec, c.indices, c.values)); // [batch, dIn] each
      const auxGate = deadCount.greater(0).toFloat() as tf.Scalar;
      const terms = lossTerms(config, this.mseScale, x, bDec, partials, extras, found.aux !== undefined, auxGate);
      const { grads, bDecPart } = shard.sparseGrads(x, bDec, codes, terms.dOutputs);
      const bDecGrad = terms.bDecGrad.add(bDecPart) as tf.Tensor1D; // [dIn]
      const gradScale = clipFactorOnDevice(config, shard.params.squaredNormOnDevice(grads).add(bDecGrad.square().sum()));
      const hyper = adamHyper(config, t);
      this.bDec.apply(bDecGrad, hyper, t, gradScale);
      shard.params.apply(grads, hyper, t, gradScale);

      const fired = codes[0].values.greater(0).toFloat(); // [batch, k]
      const counts = tf.unsortedSegmentSum(fired.reshape([-1]), flatIds(codes[0].indices), config.dSae) as tf.Tensor1D; // [dSae]
      firing.record(counts, batch);
      const auxLatents = deadCount.minimum(config.auxK);
      return [...lossNames.map((name) => terms.losses[name]), terms.fvu, counts.sum().div(batch), firing.deadFraction(config.deadTokensWindow), auxLatents, firing.longestSilence()] as tf.Scalar[];
    });
    const seenAt = firing.tokensSeen;
    return {
      scalars,
      resolve: (values) => {
        const [fvu, l0, deadFraction, auxLatents, longestSilence] = values.slice(lossNames.length);
        firing.learnSilence(longestSilence, seenAt);
        // As hostStep, which has no AuxK term on steps without dead latents.
        const losses: Record<string, number> = Object.fromEntries(lossNames.flatMap((name, i) => (name !== 'auxk' || auxLatents > 0 ? [[name, values[i]]] : [])));
        return { loss: Object.values(losses).reduce((a, b) => a + b, 0), losses, metrics: { l0, fvu, deadFraction, auxLatents, tokens: batch } };
      },
    };
  }

  async encode(x: tf.Tensor2D): Promise<SparseCode> {
    this.checkBatch(x, 'encode');
    const { merged } = await this.candidates(new BatchInput(x), this.sparseRule.inferenceCandidates(this.config), 'infer', undefined, 0);
    await Promise.all(this.shards.map((s) => s.release()));
    const code = this.sparseRule.infer(merged, this.config, this.rule);
    return {
      values: tf.tensor2d(code.values, [code.batch, code.width]),
      indices: tf.tensor2d(code.indices, [code.batch, code.width], 'int32'),
    };
  }

  async encodeDense(x: tf.Tensor2D): Promise<tf.Tensor2D> {
    const code = await this.encode(x);
    const dense = sparseToDense(code, this.config.dSae);
    tf.dispose([code.values, code.indices]);
    return dense;
  }

  async decode(code: SparseCode): Promise<tf.Tensor2D> {
    const [batch, width] = code.values.shape;
    const host: HostCode = { values: code.values.dataSync() as Float32Array, indices: code.indices.dataSync() as Int32Array, batch, width };
    const partials = await this.decodeSets([host]);
    await Promise.all(this.shards.map((s) => s.release()));
    const xhat = tf.tidy(() => partials[0].add(this.bDec.value) as tf.Tensor2D); // [batch, dIn]
    tf.dispose(partials);
    return xhat;
  }

  async toBundle(meta: SaeExportMeta): Promise<SaeBundle> {
    const state = await this.getState();
    const threshold = this.sparseRule.thresholded ? this.rule.threshold : undefined;
    return toSaeBundle(this.config, state.params, this.firingStats().logSparsity(), meta, this.sparseRule.architecture, threshold);
  }

  async getState(): Promise<SaeTrainState> {
    const slices = await Promise.all(this.shards.map((s) => s.getState()));
    const bias = this.bDec.getState();
    const firing = this.firingStats();
    const { dIn } = this.config;
    return {
      config: this.config,
      params: { ...joinLatents(slices.map((s) => s.params), dIn), b_dec: bias.value },
      adamM: { ...joinLatents(slices.map((s) => s.adamM), dIn), b_dec: bias.m },
      adamV: { ...joinLatents(slices.map((s) => s.adamV), dIn), b_dec: bias.v },
      step: this.t,
      tokensSinceFired: firing.tokensSinceFired.slice(),
      firingCounts: firing.firingCounts.slice(),
      tokensSeen: firing.tokensSeen,
      threshold: this.rule.threshold,
      mseScale: this.mseScale,
    };
  }

  async setState(state: SaeTrainState): Promise<void> {
    checkStateConfig(this.config, state);
    for (const part of ['params', 'adamM', 'adamV'] as const) checkParamShapes(this.config, state[part], `SAE state ${part}`);
    const { dIn, dSae } = this.config;
    await Promise.all(
      this.shards.map((s) =>
        s.setState({
          params: sliceLatents(state.params, dIn, dSae, s.offset, s.count),
          adamM: sliceLatents(state.adamM, dIn, dSae, s.offset, s.count),
          adamV: sliceLatents(state.adamV, dIn, dSae, s.offset, s.count),
        }),
      ),
    );
    this.bDec.setState({ value: state.params.b_dec, m: state.adamM.b_dec, v: state.adamV.b_dec });
    this.firing = new FiringStats(state.tokensSinceFired.slice(), state.firingCounts.slice(), state.tokensSeen);
    if (this.onDevice) {
      this.onDevice.firing.dispose();
      this.onDevice.firing = new DeviceFiring(this.firing);
    }
    this.t = state.step;
    this.rule.threshold = state.threshold;
    this.mseScale = checkMseScale(state.mseScale);
  }

  async dispose(): Promise<void> {
    await Promise.all(this.shards.map((s) => s.dispose()));
    this.bDec.dispose();
    this.onDevice?.firing.dispose();
  }

  /** The firing statistics in host memory (read from the device when the step keeps them there). */
  private firingStats(): FiringStats {
    return this.onDevice ? this.onDevice.firing.toHost() : this.firing;
  }

  private checkBatch(x: tf.Tensor2D, what: string): number {
    if (x.rank !== 2 || x.shape[1] !== this.config.dIn) {
      throw new Error(`SAE ${what}: input has shape [${x.shape}], expected [batch, ${this.config.dIn}]`);
    }
    return x.shape[0];
  }

  /**
   * Every shard's top `width` candidates per token, merged; widened (doubling) while the rule finds a
   * token whose last candidate is still kept, so no token is capped by the candidate count.
   */
  private async candidates(input: BatchInput, width: number, phase: 'train' | 'infer', dead: Uint8Array | undefined, auxWidth: number) {
    for (;;) {
      const found = await this.forward(input, width, dead, auxWidth);
      const merged = mergeTopK(found.map((f) => f.main), width);
      if (!this.sparseRule.saturated(merged, this.config, this.rule, phase)) return { found, merged };
      width = Math.min(this.config.dSae, 2 * width);
    }
  }

  private async forward(input: BatchInput, width: number, dead: Uint8Array | undefined, auxWidth: number) {
    const bDec = this.bDec.value.dataSync() as Float32Array;
    return Promise.all(
      this.shards.map((s) => {
        const deadMask = dead?.subarray(s.offset, s.offset + s.count);
        const deadHere = deadMask ? deadMask.reduce((a, b) => a + b, 0) : 0;
        return s.forward(input, { bDec, width: Math.min(width, s.count), deadMask: deadMask?.slice(), auxWidth: Math.min(auxWidth, deadHere) });
      }),
    );
  }

  /** Σ over shards of each code set's partial reconstruction, [batch, dIn] tensors without b_dec. */
  private async decodeSets(codeSets: HostCode[]): Promise<tf.Tensor2D[]> {
    const ranges = this.shards.map((s) => ({ offset: s.offset, count: s.count }));
    const pieces = codeSets.map((c) => splitByRange(c, ranges)); // [set][shard]
    const partials = await Promise.all(this.shards.map((s, r) => s.decode(pieces.map((p) => p[r]))));
    const { dIn } = this.config;
    return codeSets.map((c, set) =>
      tf.tidy(() => partials.map((p) => tf.tensor2d(p[set], [c.batch, dIn])).reduce((a, b) => a.add(b) as tf.Tensor2D)),
    );
  }
}

/** What the loss needs of an extra reconstruction (rule.ts ExtraCode without its code). */
type ExtraTerm = Omit<ExtraCode, 'code'>;

/**
 * The losses of a step from its partial reconstructions (main, extras…, AuxK last when `withAux`),
 * with ∂L/∂x̂ of each and b_dec's gradient through the reconstructions. `auxGate` (0 or 1, on the
 * device) switches AuxK's term off on steps without dead latents where the code width is fixed.
 */
function lossTerms(config: SaeTrainConfig, mseScale: number, x: tf.Tensor2D, bDec: tf.Tensor1D, partials: tf.Tensor2D[], extras: ExtraTerm[], withAux: boolean, auxGate?: tf.Scalar) {
  return tf.tidy(() => {
    const batch = x.shape[0];
    const xhat = partials[0].add(bDec); // [batch, dIn]
    const residual = xhat.sub(x); // [batch, dIn]
    const sse = residual.square().sum();
    const variance = x.sub(x.mean(0)).square().sum().maximum(1e-12);
    // L(k) = ‖x − x̂‖² summed over d, mean over tokens (Gao et al. §2), times the fixed mse_scale
    // 1/E‖x − μ‖² (OpenAI train.py): a normalised MSE, on the scale of the dimensionless AuxK term.
    // Unscaled, it would be ~E‖x − μ‖² (≈ d for layer-normed inputs) times larger, and a latent
    // that fired and then died would keep Adam second moments from those gradients for ~1/(1 − β2)
    // steps, damping its AuxK updates by as much: such latents would in effect never revive.
    const scale = mseScale / batch;
    const losses: Record<string, tf.Scalar> = { mse: sse.mul(scale) };
    const dOutputs: tf.Tensor2D[] = [residual.mul(2 * scale)];
    const prefixFvu: tf.Scalar[] = [];
    extras.forEach((extra, e) => {
      const extraResidual = partials[1 + e].add(bDec).sub(x); // [batch, dIn]
      const extraSse = extraResidual.square().sum() as tf.Scalar;
      const term = extraSse.mul(scale * extra.weight) as tf.Scalar;
      losses[extra.name] = losses[extra.name] ? (losses[extra.name].add(term) as tf.Scalar) : term;
      dOutputs.push(extraResidual.mul(2 * scale * extra.weight) as tf.Tensor2D);
      if (extra.prefix !== undefined) prefixFvu.push(extraSse.div(variance) as tf.Scalar);
    });
    if (withAux) {
      // AuxK (Gao et al. §A.2): the dead latents' top-k_aux reconstruct the main model's error
      // e = x − x̂ (no gradient through e), as a normalised MSE: divided by the error's variance
      // about its mean, as OpenAI's normalized_mse(auxk_recons, e) (sparsify instead divides by
      // the input's variance and keeps b_dec inside the error).
      const error = residual.neg(); // [batch, dIn]
      const errorVariance = error.sub(error.mean(0)).square().sum().maximum(1e-12);
      const miss = partials[1 + extras.length].sub(error); // [batch, dIn]
      const auxk = miss.square().sum().div(errorVariance).mul(config.auxKCoefficient) as tf.Scalar;
      losses.auxk = auxGate ? auxk.mul(auxGate) : auxk;
      dOutputs.push(miss.mul(errorVariance.reciprocal().mul(2 * config.auxKCoefficient)) as tf.Tensor2D);
    }
    // b_dec is in every reconstruction but AuxK's (which reconstructs an error, not x).
    const bDecGrad = dOutputs.slice(0, 1 + extras.length).reduce((sum: tf.Tensor1D, d) => sum.add(d.sum(0)), tf.zeros([config.dIn]) as tf.Tensor1D); // [dIn]
    return { losses, fvu: sse.div(variance) as tf.Scalar, prefixFvu, dOutputs, bDecGrad };
  });
}

export function checkStateConfig(config: SaeTrainConfig, state: SaeTrainState): void {
  const keys = Object.keys(config) as Array<keyof SaeTrainConfig>;
  // JSON, as arrays (matryoshkaPrefixes) come back from a checkpoint as new objects.
  if (keys.length !== Object.keys(state.config ?? {}).length || keys.some((key) => JSON.stringify(state.config[key]) !== JSON.stringify(config[key]))) {
    throw new Error(`SAE setState: the state was saved with config ${JSON.stringify(state.config)}, but this SAE has ${JSON.stringify(config)}`);
  }
}

export function checkMseScale(value: unknown): number {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new Error(`SAE setState: mseScale = ${JSON.stringify(value)} is invalid; expected a finite number > 0 (1 / E‖x − mean(x)‖² of the initialisation sample)`);
  }
  return value;
}

/** A sparse code as a dense [batch, dSae] tensor (padding slots hold 0 and add nothing). */
export function sparseToDense(code: SparseCode, dSae: number): tf.Tensor2D {
  return tf.tidy(() => {
    const [batch, width] = code.values.shape;
    const rowStart = tf.range(0, batch * dSae, dSae, 'int32').expandDims(1); // [batch, 1]
    const flatIds = code.indices.add(rowStart).reshape([-1]) as tf.Tensor1D; // [batch · width]
    return tf.unsortedSegmentSum(code.values.reshape([batch * width]), flatIds, batch * dSae).reshape([batch, dSae]) as tf.Tensor2D;
  });
}
