// One contiguous range of latents of a top-k-family SAE, and the three phases of a training step it
// runs on them. The coordinator (trainer.ts) talks to it in-process or, in a worker thread, through
// worker.ts; either way the arithmetic is the same.
//   forward:  dense encoder on this range, pre = (x − b_dec) W_enc + b_enc   (B·n·d, the only dense part)
//             → per-token top candidates (and top dead latents for AuxK), ids global
//   decode:   partial reconstructions Σ_s z_s W_dec[i_s] of the code sets    (B·k·d)
//   backward: given ∂L/∂x̂ per code set, the sparse gradients (Gao et al.'s "B·k·d" backward):
//             ∂W_dec[i] += z ∂x̂ ; ∂z = W_dec[i]·∂x̂ ; ∂pre = ∂z·[z > 0] ;
//             ∂W_enc[:, i] += ∂pre (x − b_dec) ; ∂b_enc[i] += ∂pre ; ∂b_dec −= W_enc ∂b_enc
//             kept until `update`, with their squared norm returned for the global clipping norm;
//   update:   Adam on this range with the clipped gradients, the decoder gradient projection and
//             row renormalisation.
import { tf } from '../../engine/backend.js';
import type { AdamHyper } from '../adam.js';
import { LatentParams, type LatentGrads, type LatentSliceState } from '../params.js';
import { concatIds, flatIds, gatherCombine, gatherDot, scatterOuter } from '../sparse-ops.js';
import { MAX_DENSE_ELEMENTS } from '../bounds.js';
import type { HostCode, TensorCode } from './codes.js';

export interface ForwardRequest {
  /** Current b_dec [dIn]. */
  bDec: Float32Array;
  /** Candidates per token to return (≤ this shard's latent count). */
  width: number;
  /** Dead latents of this range (1 = dead), for AuxK; omitted when none are dead. */
  deadMask?: Uint8Array;
  /** Dead-latent candidates per token to return for AuxK (≤ dead latents in this range). */
  auxWidth: number;
}

export interface ForwardResult {
  /** Top `width` pre-activations per token, descending, global latent ids. */
  main: HostCode;
  aux?: HostCode;
}

export interface BackwardResult {
  /** This range's contribution to ∂L/∂b_dec through the encoder, [dIn]. */
  bDecPart: Float32Array;
  /** Squared L2 norm of this range's gradients as the update will use them (decoder projected). */
  squaredNorm: number;
}

export class LatentShard {
  readonly params: LatentParams;
  private x?: tf.Tensor2D; // [batch, dIn]
  private bDec?: tf.Tensor1D; // [dIn]
  private codes: TensorCode[] = [];
  private grads?: LatentGrads;

  constructor(readonly dIn: number, readonly offset: number, readonly count: number, state: LatentSliceState) {
    this.params = new LatentParams(dIn, count, state);
  }

  /** Takes ownership of `x`; keeps it and b_dec for decode/backward until the next forward or release. */
  forward(x: tf.Tensor2D, request: ForwardRequest): ForwardResult {
    this.release();
    this.x = x;
    this.bDec = tf.tensor1d(request.bDec);
    const batch = x.shape[0];
    const main = { values: new Float32Array(batch * request.width), indices: new Int32Array(batch * request.width), batch, width: request.width };
    const aux = request.auxWidth > 0 ? { values: new Float32Array(batch * request.auxWidth), indices: new Int32Array(batch * request.auxWidth), batch, width: request.auxWidth } : undefined;
    // Alive latents get a large negative offset so the dead ones win AuxK's top-k.
    const deadOffset = aux && request.deadMask ? tf.tensor1d(Float32Array.from(request.deadMask, (dead) => (dead ? 0 : -1e30))) : undefined; // [count]
    const chunk = Math.max(1, Math.floor(MAX_DENSE_ELEMENTS / this.count));
    for (let start = 0; start < batch; start += chunk) {
      const rows = Math.min(chunk, batch - start);
      tf.tidy(() => {
        const xc = x.slice([start, 0], [rows, this.dIn]).sub(this.bDec!); // [rows, dIn]
        const pre = tf.fused.matMul({ a: xc, b: this.params.W_enc, bias: this.params.b_enc }); // [rows, count]
        copyTopK(pre as tf.Tensor2D, request.width, this.offset, main, start);
        if (aux && deadOffset) copyTopK(pre.add(deadOffset), request.auxWidth, this.offset, aux, start);
      });
    }
    deadOffset?.dispose();
    return { main, aux };
  }

  /** Partial reconstructions [batch · dIn] of each code set (ids local to this range), without b_dec. */
  decode(codeSets: HostCode[]): Float32Array[] {
    for (const c of this.codes) tf.dispose([c.indices, c.values]);
    this.codes = codeSets.map((c) => ({ indices: tf.tensor2d(c.indices, [c.batch, c.width], 'int32'), values: tf.tensor2d(c.values, [c.batch, c.width]) }));
    return this.codes.map((c) => {
      const partial = gatherCombine(this.params.W_dec, c.indices, c.values); // [batch, dIn]
      const values = partial.dataSync() as Float32Array;
      partial.dispose();
      return values;
    });
  }

  /** Gradients of this range from ∂L/∂x̂ of each decoded code set ([batch · dIn] each), kept for `update`. */
  backward(dOutputs: Float32Array[]): BackwardResult {
    if (!this.x || !this.bDec || this.codes.length !== dOutputs.length) {
      throw new Error(`LatentShard.backward: expected forward and decode of ${dOutputs.length} code sets first`);
    }
    const batch = this.x.shape[0];
    const dOut = dOutputs.map((d) => tf.tensor2d(d, [batch, this.dIn])); // [batch, dIn] each
    const { grads, bDecPart: part } = this.sparseGrads(this.x, this.bDec, this.codes, dOut);
    tf.dispose(dOut);
    const bDecPart = part.dataSync() as Float32Array;
    part.dispose();
    this.release();
    this.grads = grads;
    return { bDecPart, squaredNorm: this.params.squaredNorm(this.grads) };
  }

  /**
   * The sparse backward (see the head of this file) of `codes` given ∂L/∂x̂ of each: this range's
   * gradients and its part of b_dec's, as tensors. Disposes nothing it was given.
   */
  sparseGrads(x: tf.Tensor2D, bDec: tf.Tensor1D, codes: TensorCode[], dOutputs: tf.Tensor2D[]): { grads: LatentGrads; bDecPart: tf.Tensor1D } {
    return tf.tidy(() => {
      const xc = x.sub(bDec) as tf.Tensor2D; // [batch, dIn]
      let gDec: tf.Tensor2D | undefined;
      let gEncT: tf.Tensor2D | undefined;
      let gBias: tf.Tensor1D | undefined;
      const add = <T extends tf.Tensor>(sum: T | undefined, term: T): T => (sum ? (sum.add(term) as T) : term);
      codes.forEach(({ indices, values }, c) => {
        const dOut = dOutputs[c]; // [batch, dIn]
        gDec = add(gDec, scatterOuter(indices, values, dOut, this.count)); // [count, dIn]
        const dPre = gatherDot(this.params.W_dec, indices, dOut).mul(values.greater(0)) as tf.Tensor2D; // [batch, width]
        gEncT = add(gEncT, scatterOuter(indices, dPre, xc, this.count)); // [count, dIn]
        gBias = add(gBias, tf.unsortedSegmentSum(dPre.reshape([-1]), flatIds(indices), this.count) as tf.Tensor1D); // [count]
      });
      // pre = (x − b_dec) W_enc + b_enc, so b_dec's gradient through the encoder is −W_enc ∂b_enc.
      const bDecPart = tf.matMul(this.params.W_enc, gBias!.expandDims(1)).reshape([this.dIn]).neg() as tf.Tensor1D; // [dIn]
      return { grads: { W_encT: gEncT!, b_enc: gBias!, W_dec: gDec! }, bDecPart };
    });
  }

  /**
   * The device-resident forward (single shard off wasm): per token the top `width` pre-activations
   * and, when `deadOffset` ([count]: 0 for dead latents, −1e30 for the others) is given, the top
   * `auxWidth` of the dead latents, as tensors with ids local to this range. Nothing is read back.
   */
  topCandidates(x: tf.Tensor2D, bDec: tf.Tensor1D, width: number, deadOffset?: tf.Tensor1D, auxWidth = 0): { main: TensorCode; aux?: TensorCode } {
    const batch = x.shape[0];
    const chunk = Math.max(1, Math.floor(MAX_DENSE_ELEMENTS / this.count));
    const main: TensorCode[] = [];
    const aux: TensorCode[] = [];
    for (let start = 0; start < batch; start += chunk) {
      const rows = Math.min(chunk, batch - start);
      const picked = tf.tidy(() => {
        const xc = x.slice([start, 0], [rows, this.dIn]).sub(bDec); // [rows, dIn]
        const pre = tf.fused.matMul({ a: xc, b: this.params.W_enc, bias: this.params.b_enc }) as tf.Tensor2D; // [rows, count]
        const top = tf.topk(pre, width, true); // [rows, width] each
        const dead = deadOffset && auxWidth > 0 ? tf.topk(pre.add(deadOffset), auxWidth, true) : undefined; // [rows, auxWidth] each
        return { top, dead };
      });
      main.push({ values: picked.top.values as tf.Tensor2D, indices: picked.top.indices as tf.Tensor2D });
      if (picked.dead) aux.push({ values: picked.dead.values as tf.Tensor2D, indices: picked.dead.indices as tf.Tensor2D });
    }
    return { main: concatCodes(main), ...(aux.length ? { aux: concatCodes(aux) } : {}) };
  }

  /** The Adam step (`t` 1-based) with the gradients of the last backward times `gradScale`. */
  update(hyper: AdamHyper, t: number, gradScale: number): void {
    if (!this.grads) throw new Error('LatentShard.update: no gradients; call backward first');
    try {
      this.params.apply(this.grads, hyper, t, gradScale);
    } finally {
      this.dropGrads();
    }
  }

  private dropGrads(): void {
    if (this.grads) tf.dispose([this.grads.W_encT!, this.grads.b_enc, this.grads.W_dec]);
    this.grads = undefined;
  }

  /** Frees the batch kept between phases. */
  release(): void {
    this.x?.dispose();
    this.bDec?.dispose();
    for (const c of this.codes) tf.dispose([c.indices, c.values]);
    this.x = undefined;
    this.bDec = undefined;
    this.codes = [];
  }

  getState(): LatentSliceState {
    return this.params.getState();
  }

  setState(state: LatentSliceState): void {
    this.params.setState(state);
  }

  dispose(): void {
    this.release();
    this.dropGrads();
    this.params.dispose();
  }
}

/** Writes the top `width` entries of each row of `pre` into `out` from token `start`, ids shifted to global. */
function copyTopK(pre: tf.Tensor2D, width: number, offset: number, out: HostCode, start: number): void {
  if (width === 0) return;
  const { values, indices } = tf.topk(pre, width, true); // [rows, width] each
  out.values.set(values.dataSync() as Float32Array, start * width);
  const ids = indices.dataSync() as Int32Array;
  const base = start * width;
  for (let i = 0; i < ids.length; i++) out.indices[base + i] = ids[i] + offset;
}

/** Codes of consecutive token ranges joined along the batch; disposes the pieces. */
function concatCodes(pieces: TensorCode[]): TensorCode {
  if (pieces.length === 1) return pieces[0];
  const code = { values: tf.concat(pieces.map((p) => p.values)), indices: concatIds(pieces.map((p) => p.indices)) };
  for (const p of pieces) tf.dispose([p.values, p.indices]);
  return code;
}
