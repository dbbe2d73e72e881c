// A Gpt2's inference forward on ONNX Runtime (engine/onnx.ts says when and why): one session per
// set of outputs, built on first use from the model's own weights and kept for the model's life.
// Values agree with Gpt2.run to float rounding (the kernels sum in another order), not bit for bit.
import type * as Ort from 'onnxruntime-node';
import type { HookName } from '../../src-shared/hooks.js';
import { onnxSessionOptions, onnxThreads, type OnnxRuntime } from '../engine/onnx.js';
import type { Gpt2 } from './gpt2.js';
import { gpt2OnnxModel, type GraphRequest } from './onnx-graph.js';

/** What attention.ts adds to a masked score. */
const MASKED = -1e10;

export interface OnnxForward {
  /** Each asked hook's values, row-major as Gpt2.run's cache would hold them. */
  hooks: Map<HookName, Float32Array>;
  /** [batch·pos, vocab] row-major, when asked for. */
  logits?: Float32Array;
  /** [batch·pos] nats, when asked for. */
  loss?: Float32Array;
}

export class OnnxGpt2 {
  private readonly sessions = new Map<string, Promise<Ort.InferenceSession>>();
  private released = false;

  private constructor(
    private readonly ort: OnnxRuntime,
    private readonly model: Gpt2,
  ) {}

  private static readonly attached = new WeakMap<Gpt2, OnnxGpt2>();

  /** The runner of `model`, made once; its sessions are released when the model is disposed. */
  static of(model: Gpt2, ort: OnnxRuntime): OnnxGpt2 {
    let runner = OnnxGpt2.attached.get(model);
    if (!runner) {
      const made = new OnnxGpt2(ort, model);
      model.onDispose(() => made.release());
      OnnxGpt2.attached.set(model, made);
      runner = made;
    }
    return runner;
  }

  /**
   * Runs `ids` ([batch, pos] row-major token ids) and returns what `request` asks for; `targets`
   * ([batch·pos] token ids) are what the loss scores, when asked for.
   */
  async run(ids: Int32Array, batch: number, pos: number, request: GraphRequest, targets?: Int32Array): Promise<OnnxForward> {
    if (this.released) throw new Error('this GPT-2 has been disposed; load the model again to use it');
    if (ids.length !== batch * pos) throw new Error(`ONNX GPT-2: ${ids.length} token ids for a [${batch}, ${pos}] batch`);
    this.model.checkTokenIds(ids, pos);
    if (request.loss) {
      if (targets?.length !== batch * pos) throw new Error(`ONNX GPT-2: the loss needs ${batch * pos} targets, got ${targets?.length ?? 'none'}`);
      this.model.checkTokenIds(targets, pos);
    }
    const session = await this.session(request);
    const mask = new Float32Array(pos * pos);
    for (let i = 0; i < pos; i++) mask.fill(MASKED, i * pos + i + 1, (i + 1) * pos);
    const feeds = {
      input_ids: new this.ort.Tensor('int32', ids, [batch, pos]),
      position_ids: new this.ort.Tensor('int32', Int32Array.from({ length: pos }, (_, i) => i), [pos]),
      causal_mask: new this.ort.Tensor('float32', mask, [pos, pos]),
      ...(request.loss ? { targets: new this.ort.Tensor('int32', targets!, [batch * pos]) } : {}),
    };
    const results = await session.run(feeds);
    const hooks = new Map<HookName, Float32Array>();
    for (const name of request.outputs) hooks.set(name, results[name]!.data as Float32Array);
    return {
      hooks,
      logits: request.logits ? (results.logits!.data as Float32Array) : undefined,
      loss: request.loss ? (results.loss!.data as Float32Array) : undefined,
    };
  }

  private session(request: GraphRequest): Promise<Ort.InferenceSession> {
    const threads = onnxThreads();
    const key = `${[...request.outputs].sort().join(',')}|${request.logits ? 'logits' : ''}|${request.loss ? 'loss' : ''}|${threads}`;
    let session = this.sessions.get(key);
    if (!session) {
      const bytes = gpt2OnnxModel(this.model.config, this.model.hostWeights(), request);
      session = this.ort.InferenceSession.create(bytes, { ...onnxSessionOptions(), intraOpNumThreads: threads });
      this.sessions.set(key, session);
    }
    return session;
  }

  private release(): void {
    this.released = true;
    for (const session of this.sessions.values()) void session.then((s) => s.release(), () => undefined);
    this.sessions.clear();
  }
}
