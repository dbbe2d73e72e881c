// The trainable GPT-2: every parameter a tf.Variable named as in a Hugging Face checkpoint, with the
// token embedding kept compact while training. Only the training vocabulary's rows of wte are
// trained, plus (when some of GPT-2's tokens never occur in the corpus) one row that every absent
// token shares; exporting expands it back to the full [vocab, d_model] table (see loss.ts for why
// this keeps the loss exact).
import { tf } from '../engine/backend.js';
import type { AttentionPath } from '../model/attention.js';
import type { OnnxLoss } from './onnx-loss.js';
import type { Gpt2Config } from '../model/config.js';
import { assembleWeights, expectedShapes, type Gpt2Weights } from '../model/weights.js';

export type HostTensors = Map<string, { shape: number[]; data: Float32Array }>;

export interface TrainVocab {
  /** GPT-2 token id of each compact row, ascending. */
  ids: Int32Array;
  /** Tokens of the full vocabulary with no row of their own (they share the last compact row); 0 when ids cover it all. */
  absent: number;
}

/** Linear layers' weights: the only parameters AdamW decays (none on biases, LayerNorms, embeddings). */
export function isDecayed(name: string): boolean {
  return /^h\.\d+\.(attn\.c_attn|attn\.c_proj|mlp\.c_fc|mlp\.c_proj)\.weight$/.test(name);
}

/** Rows of the compact table: one per training token, plus the shared row when tokens are absent. */
export function compactRows(vocab: TrainVocab): number {
  return vocab.ids.length + (vocab.absent > 0 ? 1 : 0);
}

/** token id → compact row, for a vocabulary of `vocabSize`; absent tokens map to the shared row. */
export function compactIndex(vocab: TrainVocab, vocabSize: number): Int32Array {
  const index = new Int32Array(vocabSize).fill(vocab.ids.length);
  vocab.ids.forEach((id, row) => (index[id] = row));
  return index;
}

export function makeTrainVocab(ids: Int32Array, vocabSize: number): TrainVocab {
  const outside = ids.find((id) => id < 0 || id >= vocabSize);
  if (outside !== undefined) throw new Error(`token id ${outside} is outside the model's vocabulary 0..${vocabSize - 1}`);
  return { ids, absent: vocabSize - ids.length };
}

/** The full wte [vocab, d] as compact rows [rows, d]; the shared row starts as the first absent token's row. */
export function compactEmbedding(wte: Float32Array, d: number, vocab: TrainVocab): Float32Array {
  const out = new Float32Array(compactRows(vocab) * d);
  vocab.ids.forEach((id, row) => out.set(wte.subarray(id * d, (id + 1) * d), row * d));
  if (vocab.absent > 0) {
    let firstAbsent = 0; // ids ascend, so the first gap
    for (const id of vocab.ids) {
      if (id !== firstAbsent) break;
      firstAbsent++;
    }
    out.set(wte.subarray(firstAbsent * d, (firstAbsent + 1) * d), vocab.ids.length * d);
  }
  return out;
}

/** The compact rows expanded to the full wte [vocab, d]: each absent token gets the shared row. */
export function fullEmbedding(compact: Float32Array, d: number, vocab: TrainVocab, vocabSize: number): Float32Array {
  const index = compactIndex(vocab, vocabSize);
  const out = new Float32Array(vocabSize * d);
  for (let id = 0; id < vocabSize; id++) out.set(compact.subarray(index[id] * d, (index[id] + 1) * d), id * d);
  return out;
}

export class TrainableGpt2 {
  /** The forward pass's view of the variables (wte compact). */
  readonly weights: Gpt2Weights;
  /** How the forward computes attention (LmTrainConfig.attention); the trainer sets it from its config. */
  attention: AttentionPath = 'ops';
  /** Where the loss's unembedding and cross-entropy run when not on tfjs (LmTrainConfig.lossRuntime); the trainer sets it and disposes it. */
  onnxLoss?: OnnxLoss;

  private constructor(
    readonly config: Gpt2Config,
    readonly vocab: TrainVocab,
    /** By HF name, in expectedShapes' order; wte.weight is compact [rows, d_model]. */
    readonly params: Map<string, tf.Variable>,
  ) {
    this.weights = assembleWeights(config, <R extends tf.Rank>(name: string) => params.get(name)! as unknown as tf.Tensor<R>);
  }

  /** From host tensors holding the full wte (a fresh init or a loaded model). */
  static fromFull(config: Gpt2Config, vocab: TrainVocab, full: HostTensors): TrainableGpt2 {
    const compact: HostTensors = new Map(full);
    const wte = full.get('wte.weight')!;
    compact.set('wte.weight', { shape: [compactRows(vocab), config.nEmbd], data: compactEmbedding(wte.data, config.nEmbd, vocab) });
    return TrainableGpt2.fromCompact(config, vocab, compact);
  }

  /** From host tensors with a compact wte (a checkpoint). */
  static fromCompact(config: Gpt2Config, vocab: TrainVocab, compact: HostTensors): TrainableGpt2 {
    const params = new Map<string, tf.Variable>();
    for (const [name, shape] of expectedShapes(config)) {
      const t = compact.get(name);
      const want = name === 'wte.weight' ? [compactRows(vocab), config.nEmbd] : shape;
      if (!t || t.shape.join() !== want.join()) throw new Error(`parameter ${name}: expected shape [${want.join(', ')}], got ${t ? `[${t.shape.join(', ')}]` : 'none'}`);
      // tf.variable keeps the tensor it is given counted; dispose it so the data is freed with the variable.
      const initial = tf.tensor(t.data, want, 'float32');
      params.set(name, tf.variable(initial, true));
      initial.dispose();
    }
    return new TrainableGpt2(config, vocab, params);
  }

  /** Host copies of the parameters, wte compact. */
  compactTensors(): HostTensors {
    const out: HostTensors = new Map();
    for (const [name, v] of this.params) out.set(name, { shape: v.shape, data: v.dataSync() as Float32Array });
    return out;
  }

  /** Host copies of the parameters as a standard GPT-2 stores them (full wte). */
  fullTensors(): HostTensors {
    const out = this.compactTensors();
    const wte = out.get('wte.weight')!;
    out.set('wte.weight', { shape: [this.config.vocabSize, this.config.nEmbd], data: fullEmbedding(wte.data, this.config.nEmbd, this.vocab, this.config.vocabSize) });
    return out;
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
  }
}
