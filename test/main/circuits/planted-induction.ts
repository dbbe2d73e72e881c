// A 2-layer GPT-2 with an induction circuit set by hand: head 0 of block 0 attends to the previous
// position and copies that token into a "previous token" subspace; head 0 of block 1 matches the
// current token against that subspace (K-composition), so it attends to the token after an
// earlier occurrence of the current one. Every other head has zero weights (uniform attention).
//
// The residual holds three one-hot blocks (token, position, previous token), each written as
// +e_i and −e_{i+half} so every vector has mean 0: LayerNorm then only rescales, by the same factor
// at every position, because every position's residual has the same norm.
import type { Gpt2Config } from '../../../src-main/model/config.js';
import { expectedShapes } from '../../../src-main/model/weights.js';
import type { HostWeights } from '../model/reference.js';

const VOCAB = 20;
const POSITIONS = 32;
const HALF = 2 * VOCAB + POSITIONS;
const D_MODEL = 2 * HALF;
const HEADS = 2;
const TOKEN = (t: number) => t;
const POSITION = (p: number) => VOCAB + p;
const PREVIOUS = (t: number) => VOCAB + POSITIONS + t;
/** Query/key gain: LayerNorm's 1/σ is 6 in block 0 and √24 in block 1, so scores of ~40 and ~25 make attention one-hot. */
const SHARP = 3;

export const PLANTED_CONFIG: Gpt2Config = {
  nLayer: 2,
  nEmbd: D_MODEL,
  nHead: HEADS,
  nInner: 4 * D_MODEL,
  nPositions: POSITIONS,
  vocabSize: VOCAB,
  layerNormEpsilon: 1e-5,
  activationFunction: 'gelu_new',
  eosTokenId: VOCAB - 1,
  bosTokenId: VOCAB - 1,
};

export function plantedInductionWeights(): HostWeights {
  const weights: HostWeights = new Map();
  for (const [name, shape] of expectedShapes(PLANTED_CONFIG)) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    if (/ln_(1|2|f)\.weight$/.test(name)) data.fill(1);
    weights.set(name, { shape, data });
  }
  const set = (name: string, row: number, col: number, value: number) => {
    const w = weights.get(name)!;
    w.data[row * w.shape[1]! + col] = value;
  };
  /** ±value on a residual dimension and its mirror. */
  const write = (name: string, row: number, dim: number, value: number) => {
    set(name, row, dim, value);
    set(name, row, dim + HALF, -value);
  };
  for (let t = 0; t < VOCAB; t++) write('wte.weight', t, TOKEN(t), 1);
  for (let p = 0; p < POSITIONS; p++) write('wpe.weight', p, POSITION(p), 1);
  // c_attn is Conv1D [d_model, 3·d_model]: q columns, then k, then v; head 0 owns the first D_HEAD of each.
  const Q = 0;
  const K = D_MODEL;
  const V = 2 * D_MODEL;
  // Block 0, head 0: query of position p meets the key of position p − 1.
  for (let p = 0; p < POSITIONS; p++) set('h.0.attn.c_attn.weight', POSITION(p), Q + p, SHARP);
  for (let p = 0; p + 1 < POSITIONS; p++) set('h.0.attn.c_attn.weight', POSITION(p), K + p + 1, SHARP);
  // ... and copies that position's token into the previous-token block (1/6 undoes LayerNorm's ×6).
  for (let t = 0; t < VOCAB; t++) {
    set('h.0.attn.c_attn.weight', TOKEN(t), V + t, 1);
    write('h.0.attn.c_proj.weight', t, PREVIOUS(t), 1 / 6);
  }
  // Block 1, head 0: the current token meets keys whose previous token is the same.
  for (let t = 0; t < VOCAB; t++) {
    set('h.1.attn.c_attn.weight', TOKEN(t), Q + t, SHARP);
    set('h.1.attn.c_attn.weight', PREVIOUS(t), K + t, SHARP);
  }
  return weights;
}
