// A plain-loop GPT-2 forward over Float64 arrays, independent of tfjs, in the spirit of llm.c's
// test_gpt2: the fast tfjs model must match it on every hook point and on the logits.
import type { HookName } from '../../../src-shared/hooks.js';
import type { Gpt2Config } from '../../../src-main/model/config.js';

export type HostWeights = Map<string, { shape: number[]; data: Float32Array }>;

export interface ReferenceResult {
  /** Every hook point, flattened row-major, shapes as TransformerLens's. */
  hooks: Map<HookName, { shape: number[]; data: Float64Array }>;
  logits: { shape: number[]; data: Float64Array }; // [batch, pos, vocab]
  /** Next-token cross-entropy per position [batch, pos-1]. */
  loss: Float64Array;
}

const gelu = (x: number): number => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

/** y[t] = x[t] @ W + b for each of `rows` rows; W is [nIn, nOut] row-major (Conv1D layout). */
function linear(x: Float64Array, rows: number, nIn: number, w: Float32Array, b: Float32Array, nOut: number): Float64Array {
  const y = new Float64Array(rows * nOut);
  for (let t = 0; t < rows; t++) {
    for (let o = 0; o < nOut; o++) {
      let sum = b[o];
      for (let i = 0; i < nIn; i++) sum += x[t * nIn + i] * w[i * nOut + o];
      y[t * nOut + o] = sum;
    }
  }
  return y;
}

function layerNorm(x: Float64Array, rows: number, d: number, g: Float32Array, b: Float32Array, eps: number): Float64Array {
  const y = new Float64Array(rows * d);
  for (let t = 0; t < rows; t++) {
    let mean = 0;
    for (let i = 0; i < d; i++) mean += x[t * d + i];
    mean /= d;
    let variance = 0;
    for (let i = 0; i < d; i++) variance += (x[t * d + i] - mean) ** 2;
    variance /= d;
    const inv = 1 / Math.sqrt(variance + eps);
    for (let i = 0; i < d; i++) y[t * d + i] = (x[t * d + i] - mean) * inv * g[i] + b[i];
  }
  return y;
}

const add = (a: Float64Array, b: Float64Array): Float64Array => a.map((v, i) => v + b[i]);

/** Runs one sequence; the caller stacks rows of a batch. */
function forwardRow(c: Gpt2Config, w: HostWeights, tokens: number[]) {
  const get = (name: string) => w.get(name)!.data;
  const T = tokens.length;
  const d = c.nEmbd;
  const H = c.nHead;
  const dh = d / H;
  const hooks = new Map<string, Float64Array>();
  const embed = new Float64Array(T * d);
  const pos = new Float64Array(T * d);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < d; i++) {
      embed[t * d + i] = get('wte.weight')[tokens[t] * d + i];
      pos[t * d + i] = get('wpe.weight')[t * d + i];
    }
  }
  hooks.set('hook_embed', embed);
  hooks.set('hook_pos_embed', pos);
  let resid = add(embed, pos);
  for (let L = 0; L < c.nLayer; L++) {
    const p = `h.${L}.`;
    hooks.set(`blocks.${L}.hook_resid_pre`, resid);
    const ln1 = layerNorm(resid, T, d, get(`${p}ln_1.weight`), get(`${p}ln_1.bias`), c.layerNormEpsilon);
    hooks.set(`blocks.${L}.ln1.hook_normalized`, ln1);
    const qkv = linear(ln1, T, d, get(`${p}attn.c_attn.weight`), get(`${p}attn.c_attn.bias`), 3 * d);
    const pattern = new Float64Array(H * T * T);
    const z = new Float64Array(T * d);
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < T; i++) {
        const scores: number[] = [];
        for (let j = 0; j <= i; j++) {
          let s = 0;
          for (let e = 0; e < dh; e++) s += qkv[i * 3 * d + h * dh + e] * qkv[j * 3 * d + d + h * dh + e];
          scores.push(s / Math.sqrt(dh));
        }
        const max = Math.max(...scores);
        const exps = scores.map((s) => Math.exp(s - max));
        const total = exps.reduce((a, b) => a + b, 0);
        for (let j = 0; j <= i; j++) {
          const a = exps[j] / total;
          pattern[(h * T + i) * T + j] = a;
          for (let e = 0; e < dh; e++) z[i * d + h * dh + e] += a * qkv[j * 3 * d + 2 * d + h * dh + e];
        }
      }
    }
    hooks.set(`blocks.${L}.attn.hook_pattern`, pattern);
    const attnOut = linear(z, T, d, get(`${p}attn.c_proj.weight`), get(`${p}attn.c_proj.bias`), d);
    hooks.set(`blocks.${L}.hook_attn_out`, attnOut);
    const mid = add(resid, attnOut);
    hooks.set(`blocks.${L}.hook_resid_mid`, mid);
    const ln2 = layerNorm(mid, T, d, get(`${p}ln_2.weight`), get(`${p}ln_2.bias`), c.layerNormEpsilon);
    const post = linear(ln2, T, d, get(`${p}mlp.c_fc.weight`), get(`${p}mlp.c_fc.bias`), c.nInner).map(gelu);
    hooks.set(`blocks.${L}.mlp.hook_post`, post);
    const mlpOut = linear(post, T, c.nInner, get(`${p}mlp.c_proj.weight`), get(`${p}mlp.c_proj.bias`), d);
    hooks.set(`blocks.${L}.hook_mlp_out`, mlpOut);
    resid = add(mid, mlpOut);
    hooks.set(`blocks.${L}.hook_resid_post`, resid);
  }
  const final = layerNorm(resid, T, d, get('ln_f.weight'), get('ln_f.bias'), c.layerNormEpsilon);
  hooks.set('ln_final.hook_normalized', final);
  const wte = get('wte.weight');
  const logits = new Float64Array(T * c.vocabSize);
  for (let t = 0; t < T; t++) {
    for (let v = 0; v < c.vocabSize; v++) {
      let s = 0;
      for (let i = 0; i < d; i++) s += final[t * d + i] * wte[v * d + i];
      logits[t * c.vocabSize + v] = s;
    }
  }
  const loss = new Float64Array(T - 1);
  for (let t = 0; t < T - 1; t++) {
    const row = logits.subarray(t * c.vocabSize, (t + 1) * c.vocabSize);
    const max = row.reduce((a, b) => Math.max(a, b), -Infinity);
    const logSum = Math.log(row.reduce((a, b) => a + Math.exp(b - max), 0)) + max;
    loss[t] = logSum - row[tokens[t + 1]];
  }
  return { hooks, logits, loss };
}

function shapeOf(name: string, c: Gpt2Config, batch: number, T: number): number[] {
  if (name.endsWith('attn.hook_pattern')) return [batch, c.nHead, T, T];
  if (name.endsWith('mlp.hook_post')) return [batch, T, c.nInner];
  return [batch, T, c.nEmbd];
}

/** The model's forward on a batch of equal-length rows. Only gelu_new models (every GPT-2). */
export function referenceForward(c: Gpt2Config, w: HostWeights, batch: number[][]): ReferenceResult {
  if (c.activationFunction !== 'gelu_new') throw new Error(`reference implements gelu_new only, got ${c.activationFunction}`);
  const rows = batch.map((tokens) => forwardRow(c, w, tokens));
  const T = batch[0].length;
  const concat = (parts: Float64Array[]): Float64Array => {
    const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
    let offset = 0;
    for (const p of parts) {
      out.set(p, offset);
      offset += p.length;
    }
    return out;
  };
  const hooks: ReferenceResult['hooks'] = new Map();
  for (const name of rows[0].hooks.keys()) {
    hooks.set(name as HookName, { shape: shapeOf(name, c, batch.length, T), data: concat(rows.map((r) => r.hooks.get(name)!)) });
  }
  return {
    hooks,
    logits: { shape: [batch.length, T, c.vocabSize], data: concat(rows.map((r) => r.logits)) },
    loss: concat(rows.map((r) => r.loss)),
  };
}
