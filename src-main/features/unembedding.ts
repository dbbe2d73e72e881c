// The two GPT-2 weights that turn a residual direction into logits: ln_f's gain γ and the tied
// unembedding wte. Read straight from the checkpoint so logit effects need no forward pass.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { openSafetensors, type SafetensorsFile } from '../io/safetensors.js';

export interface Unembedding {
  /** ln_final gain γ [d_model]. */
  gamma: Float32Array;
  /** wte [vocab, d_model] row-major (GPT-2 ties the unembedding to it). */
  wte: Float32Array;
  vocab: number;
  dModel: number;
  /**
   * 1 for each token whose wte row is bit-identical to another token's, else null when none is. A
   * model pretrained by `lm train` on a corpus ties every token absent from it to one shared row;
   * such tokens all get the same logit, so listing them (as "#", "<", "=", …) says nothing.
   */
  tied: Uint8Array | null;
}

/** Marks the rows of a [vocab, dModel] matrix that equal another row bit for bit; null when none do. */
export function tiedRows(wte: Float32Array, vocab: number, dModel: number): Uint8Array | null {
  const bits = new Uint32Array(wte.buffer, wte.byteOffset, vocab * dModel);
  const firstByHash = new Map<number, number[]>();
  const tied = new Uint8Array(vocab);
  let any = false;
  const same = (a: number, b: number) => {
    for (let j = 0; j < dModel; j++) if (bits[a * dModel + j] !== bits[b * dModel + j]) return false;
    return true;
  };
  for (let row = 0; row < vocab; row++) {
    let h = 0x811c9dc5;
    for (let j = 0; j < dModel; j++) h = Math.imul(h ^ bits[row * dModel + j]!, 0x01000193) >>> 0;
    const seen = firstByHash.get(h);
    const twin = seen?.find((other) => same(other, row));
    if (twin !== undefined) {
      tied[twin] = 1;
      tied[row] = 1;
      any = true;
    } else if (seen) seen.push(row);
    else firstByHash.set(h, [row]);
  }
  return any ? tied : null;
}

function fileHolding(dir: string, names: string[]): { file: SafetensorsFile; name: string } {
  const single = path.join(dir, 'model.safetensors');
  const index = path.join(dir, 'model.safetensors.index.json');
  if (existsSync(single)) {
    const file = openSafetensors(single);
    const name = names.find((n) => file.names().includes(n));
    if (name) return { file, name };
    throw new Error(`${single}: no tensor ${names.join(' or ')}; is this a GPT-2 checkpoint?`);
  }
  if (existsSync(index)) {
    const map = (JSON.parse(readFileSync(index, 'utf8')) as { weight_map?: Record<string, string> }).weight_map ?? {};
    const name = names.find((n) => map[n]);
    if (name) return { file: openSafetensors(path.join(dir, path.basename(map[name]))), name };
    throw new Error(`${index}: weight_map has no ${names.join(' or ')}`);
  }
  throw new Error(`${dir}: no model.safetensors or model.safetensors.index.json to read the unembedding from`);
}

export function readUnembedding(modelDir: string): Unembedding {
  const g = fileHolding(modelDir, ['ln_f.weight', 'transformer.ln_f.weight']);
  const w = fileHolding(modelDir, ['wte.weight', 'transformer.wte.weight']);
  const [vocab, dModel] = w.file.info(w.name).shape;
  const gamma = g.file.getFloat32(g.name);
  if (gamma.length !== dModel) throw new Error(`${g.file.path}: ${g.name} has ${gamma.length} values, expected d_model = ${dModel} (from ${w.name})`);
  const wte = w.file.getFloat32(w.name);
  return { gamma, wte, vocab, dModel, tied: tiedRows(wte, vocab, dModel) };
}
