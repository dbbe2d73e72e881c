// GPT-2's forward pass written as an ONNX graph, for ONNX Runtime's CPU kernels (engine/onnx.ts).
// The graph computes what gpt2.ts computes, op for op (the same LayerNorm, the same GELU formula,
// scores scaled then masked then softmaxed), and names its outputs by TransformerLens hook: a graph
// asked for blocks.8.hook_resid_pre stops there, as `run(..., { stopAt })` does. Hooks that replace
// activations are not expressible here; callers that need them use the tfjs model.
//
// Inputs: input_ids int32 [batch, pos]; position_ids int32 [pos]; causal_mask float [pos, pos]
// (0 where a query may attend, −1e10 elsewhere: the mask attention.ts adds). Outputs: each asked
// hook as float [batch, pos, width] (attn.hook_pattern [batch, head, pos, pos]) and, when asked,
// logits as float [batch·pos, vocab] and the next-token loss of given targets [batch·pos].
import onnxProto from 'onnx-proto';
import type { onnx as Onnx } from 'onnx-proto';
import { blockHook, parseHookName, type HookName } from '../../src-shared/hooks.js';
import type { Gpt2Config } from './config.js';

// onnx-proto is CommonJS whose exports Node cannot name statically: take the namespace from its default.
const { onnx } = onnxProto;
const OPSET = 17; // LayerNormalization's first opset
const IR_VERSION = 8;
export const { FLOAT, INT32, INT64 } = onnx.TensorProto.DataType;

/** HF parameter name (without `transformer.`) → row-major float32 data, as weights.namedWeights gives. */
export type HostWeights = Map<string, Float32Array>;

export interface GraphRequest {
  /** Hook points to return, each as an output named by the hook. */
  outputs: HookName[];
  /** Also return the logits, output "logits" [batch·pos, vocab]. */
  logits?: boolean;
  /**
   * Also return the cross-entropy of input "targets" (int32 [batch·pos], the token each position
   * should predict) under the full softmax: output "loss" [batch·pos], nats.
   */
  loss?: boolean;
}

/** Nodes and initializers of a graph being written; `encodeGraph` serialises it. */
export class GraphBuilder {
  readonly nodes: Onnx.INodeProto[] = [];
  readonly initializers: Onnx.ITensorProto[] = [];
  private next = 0;

  /** Adds a node and returns its output's name. */
  op(opType: string, inputs: string[], attributes: Onnx.IAttributeProto[] = [], output = `t${this.next++}`): string {
    this.nodes.push({ opType, input: inputs, output: [output], attribute: attributes, name: `${opType}_${this.nodes.length}` });
    return output;
  }

  weight(name: string, dims: number[], data: Float32Array): string {
    this.initializers.push({ name, dims, dataType: FLOAT, rawData: bytesOf(data) });
    return name;
  }

  scalar(value: number): string {
    const name = `c${this.next++}`;
    this.initializers.push({ name, dims: [], dataType: FLOAT, rawData: bytesOf(Float32Array.of(value)) });
    return name;
  }

  int64s(values: number[]): string {
    const name = `i${this.next++}`;
    this.initializers.push({ name, dims: [values.length], dataType: INT64, rawData: bytesOf(BigInt64Array.from(values, BigInt)) });
    return name;
  }
}

const bytesOf = (a: Float32Array | BigInt64Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
export const intAttr = (name: string, i: number): Onnx.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INT, i });
export const intsAttr = (name: string, ints: number[]): Onnx.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints });
export const floatAttr = (name: string, f: number): Onnx.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.FLOAT, f });
export const stringAttr = (name: string, text: string): Onnx.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode(text) });

export function valueInfo(name: string, elemType: number, dims: Array<number | string>): Onnx.IValueInfoProto {
  const dim = dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType, shape: { dim } } } };
}

/** The same function as mlp.ts's `activate`, written with the same formula so results agree to rounding. */
function activation(g: GraphBuilder, x: string, fn: Gpt2Config['activationFunction']): string {
  switch (fn) {
    case 'gelu_new':
    case 'gelu_pytorch_tanh':
    case 'gelu_fast': {
      const cube = g.op('Mul', [g.op('Mul', [x, x]), x]);
      const twoZ = g.op('Mul', [g.op('Add', [x, g.op('Mul', [cube, g.scalar(0.044715)])]), g.scalar(2 * Math.sqrt(2 / Math.PI))]);
      return g.op('Mul', [x, g.op('Sigmoid', [twoZ])]);
    }
    case 'gelu':
      return g.op('Mul', [g.op('Mul', [x, g.op('Add', [g.op('Erf', [g.op('Mul', [x, g.scalar(Math.SQRT1_2)])]), g.scalar(1)])]), g.scalar(0.5)]);
    case 'quick_gelu':
      return g.op('Mul', [x, g.op('Sigmoid', [g.op('Mul', [x, g.scalar(1.702)])])]);
    case 'relu':
      return g.op('Relu', [x]);
    case 'silu':
      return g.op('Mul', [x, g.op('Sigmoid', [x])]);
  }
}

/**
 * The serialized ONNX model of `config` with `weights`, computing `request`. Blocks past the deepest
 * asked hook are left out unless logits are asked for.
 */
export function gpt2OnnxModel(config: Gpt2Config, weights: HostWeights, request: GraphRequest): Uint8Array {
  const { nLayer: layers, nEmbd: d, nHead: heads, nInner, vocabSize: vocab, layerNormEpsilon: eps } = config;
  if (request.outputs.length === 0 && !request.logits && !request.loss) throw new Error('an ONNX GPT-2 graph needs at least one hook, the logits or the loss as output');
  const sites = request.outputs.map((name) => parseHookName(name, layers));
  const unembeds = request.logits || request.loss;
  const deepest = unembeds ? layers : Math.max(...sites.map((s) => s.layer));
  const wanted = new Set(sites.map((s) => s.name));
  const param = (name: string, dims: number[]): string => {
    const data = weights.get(name);
    if (!data) throw new Error(`ONNX GPT-2 graph: weight "${name}" is missing`);
    if (data.length !== dims.reduce((a, b) => a * b, 1)) throw new Error(`ONNX GPT-2 graph: weight "${name}" holds ${data.length} values, expected [${dims.join(', ')}]`);
    return g.weight(name, dims, data);
  };

  const g = new GraphBuilder();
  const outputs: Onnx.IValueInfoProto[] = [];
  /** Marks a value as a hook point: an Identity gives it the hook's name when the hook is asked for. */
  const point = (hook: HookName, value: string, dims: Array<number | string>): string => {
    if (wanted.has(hook)) {
      g.op('Identity', [value], [], hook);
      outputs.push(valueInfo(hook, FLOAT, dims));
    }
    return value;
  };
  const resid3 = ['batch', 'pos', d];
  const layerNorm = (x: string, prefix: string) =>
    g.op('LayerNormalization', [x, param(`${prefix}.weight`, [d]), param(`${prefix}.bias`, [d])], [intAttr('axis', -1), floatAttr('epsilon', eps)]);
  const linear = (x: string, prefix: string, dIn: number, dOut: number) =>
    g.op('Add', [g.op('MatMul', [x, param(`${prefix}.weight`, [dIn, dOut])]), param(`${prefix}.bias`, [dOut])]);

  const wte = param('wte.weight', [vocab, d]);
  const tokenEmbed = point('hook_embed', g.op('Gather', [wte, 'input_ids'], [intAttr('axis', 0)]), resid3); // [batch, pos, d]
  const positions = g.op('Gather', [param('wpe.weight', [config.nPositions, d]), 'position_ids'], [intAttr('axis', 0)]); // [pos, d]
  if (wanted.has('hook_pos_embed')) {
    // TransformerLens repeats the position embedding over the batch at this hook, as embedding.ts does.
    point('hook_pos_embed', g.op('Expand', [positions, g.op('Shape', [tokenEmbed])]), resid3);
  }
  let resid = g.op('Add', [tokenEmbed, positions]); // [batch, pos, d]

  const dHead = d / heads;
  const headShape = g.int64s([0, 0, heads, dHead]);
  const mergedShape = g.int64s([0, 0, d]);
  const thirds = g.int64s([d, d, d]);
  for (let layer = 0; layer <= Math.min(deepest, layers - 1); layer++) {
    const p = `h.${layer}`;
    resid = point(blockHook(layer, 'hook_resid_pre'), resid, resid3);
    const normed1 = point(blockHook(layer, 'ln1.hook_normalized'), layerNorm(resid, `${p}.ln_1`), resid3);
    const qkv = linear(normed1, `${p}.attn.c_attn`, d, 3 * d); // [batch, pos, 3d]
    const split = ['q', 'k', 'v'].map((part) => `${p}.${part}`);
    g.nodes.push({ opType: 'Split', input: [qkv, thirds], output: split, attribute: [intAttr('axis', 2)], name: `Split_${g.nodes.length}` });
    const heads4 = (x: string, perm: number[]) => g.op('Transpose', [g.op('Reshape', [x, headShape])], [intsAttr('perm', perm)]);
    const q = heads4(split[0]!, [0, 2, 1, 3]); // [batch, head, pos, d_head]
    const kT = heads4(split[1]!, [0, 2, 3, 1]); // [batch, head, d_head, pos]
    const v = heads4(split[2]!, [0, 2, 1, 3]); // [batch, head, pos, d_head]
    const scores = g.op('Mul', [g.op('MatMul', [q, kT]), g.scalar(1 / Math.sqrt(dHead))]); // [batch, head, pos, pos]
    const pattern = point(blockHook(layer, 'attn.hook_pattern'), g.op('Softmax', [g.op('Add', [scores, 'causal_mask'])], [intAttr('axis', -1)]), ['batch', heads, 'pos', 'pos']);
    const z = g.op('Transpose', [g.op('MatMul', [pattern, v])], [intsAttr('perm', [0, 2, 1, 3])]); // [batch, pos, head, d_head]
    const attnOut = point(blockHook(layer, 'hook_attn_out'), linear(g.op('Reshape', [z, mergedShape]), `${p}.attn.c_proj`, d, d), resid3);
    const mid = point(blockHook(layer, 'hook_resid_mid'), g.op('Add', [resid, attnOut]), resid3);
    const hidden = activation(g, linear(layerNorm(mid, `${p}.ln_2`), `${p}.mlp.c_fc`, d, nInner), config.activationFunction);
    const post = point(blockHook(layer, 'mlp.hook_post'), hidden, ['batch', 'pos', nInner]);
    const mlpOut = point(blockHook(layer, 'hook_mlp_out'), linear(post, `${p}.mlp.c_proj`, nInner, d), resid3);
    resid = point(blockHook(layer, 'hook_resid_post'), g.op('Add', [mid, mlpOut]), resid3);
  }
  if (deepest >= layers) {
    const final = point('ln_final.hook_normalized', layerNorm(resid, 'ln_f'), resid3);
    if (unembeds) {
      // Gemm with transB multiplies by the tied wte as stored, without a transposed copy of it.
      const rows = g.op('Reshape', [final, g.int64s([-1, d])]);
      const logits = g.op('Gemm', [rows, wte], [intAttr('transB', 1)], request.logits ? 'logits' : undefined); // [rows, vocab]
      if (request.logits) outputs.push(valueInfo('logits', FLOAT, ['rows', vocab]));
      if (request.loss) {
        const column = g.op('Unsqueeze', ['targets', g.int64s([1])]); // [rows, 1]
        const picked = g.op('GatherElements', [g.op('LogSoftmax', [logits], [intAttr('axis', -1)]), column], [intAttr('axis', 1)]); // [rows, 1]
        g.op('Neg', [g.op('Squeeze', [picked, g.int64s([1])])], [], 'loss');
        outputs.push(valueInfo('loss', FLOAT, ['rows']));
      }
    }
  }
  const inputs = [
    valueInfo('input_ids', INT32, ['batch', 'pos']),
    valueInfo('position_ids', INT32, ['pos']),
    valueInfo('causal_mask', FLOAT, ['pos', 'pos']),
    ...(request.loss ? [valueInfo('targets', INT32, ['rows'])] : []),
  ];
  return encodeGraph('gpt2', g, inputs, outputs);
}

/** The serialized model of graph `g` with these inputs and outputs. */
export function encodeGraph(name: string, g: GraphBuilder, input: Onnx.IValueInfoProto[], output: Onnx.IValueInfoProto[]): Uint8Array {
  const model: Onnx.IModelProto = {
    irVersion: IR_VERSION,
    producerName: 'sae-explorer',
    opsetImport: [{ domain: '', version: OPSET }],
    graph: { name, node: g.nodes, initializer: g.initializers, input, output },
  };
  return onnx.ModelProto.encode(model).finish();
}
