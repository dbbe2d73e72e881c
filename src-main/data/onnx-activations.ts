// Activations from GPT-2's forward on ONNX Runtime (engine/onnx.ts says when): the same windows, hook
// and layout as ModelActivationSource, several times faster on a CPU. `modelActivationSource` picks.
import type { HookName } from '../../src-shared/hooks.js';
import { gpt2OnnxRuntime } from '../engine/onnx.js';
import { Gpt2 } from '../model/gpt2.js';
import { OnnxGpt2 } from '../model/onnx-gpt2.js';
import { hookWidth, ModelActivationSource, type ActivationSource, type GroupRunner, type HookedModel } from './activations.js';
import { windowAt, type WindowSet } from './windows.js';

export class OnnxActivationSource implements ActivationSource {
  readonly dIn: number;

  constructor(
    private readonly runner: OnnxGpt2,
    config: HookedModel['config'],
    private readonly windows: WindowSet,
    private readonly hook: HookName,
    /** Windows per forward pass; bounds the memory of one pass. */
    private readonly modelBatch: number,
  ) {
    this.dIn = hookWidth(hook, config);
  }

  async activations(indices: ArrayLike<number>): Promise<Float32Array> {
    const ctx = this.windows.contextSize;
    const perWindow = (ctx - 1) * this.dIn;
    const out = new Float32Array(indices.length * perWindow);
    for (let start = 0; start < indices.length; start += this.modelBatch) {
      const n = Math.min(this.modelBatch, indices.length - start);
      const ids = new Int32Array(n * ctx);
      for (let i = 0; i < n; i++) ids.set(windowAt(this.windows, indices[start + i]!), i * ctx);
      const acts = (await this.runner.run(ids, n, ctx, { outputs: [this.hook] })).hooks.get(this.hook)!; // [n, ctx, dIn]
      // Each window's BOS position is dropped, as ModelActivationSource does.
      for (let i = 0; i < n; i++) out.set(acts.subarray((i * ctx + 1) * this.dIn, (i + 1) * ctx * this.dIn), (start + i) * perWindow);
    }
    return out;
  }
}

/**
 * GPT-2's activations at `hook` for `windows`: on ONNX Runtime when it runs the forward here (it uses
 * every core itself), else on tfjs, on the model pool's worker threads when one is given.
 */
export function modelActivationSource(model: HookedModel, windows: WindowSet, hook: HookName, modelBatch: number, pool?: GroupRunner): ActivationSource {
  const ort = model instanceof Gpt2 ? gpt2OnnxRuntime() : undefined;
  if (ort && model instanceof Gpt2) return new OnnxActivationSource(OnnxGpt2.of(model, ort), model.config, windows, hook, modelBatch);
  return new ModelActivationSource(model, windows, hook, modelBatch, pool);
}

/** Whether `model`'s activations come from ONNX Runtime here, so a model pool would only serve what stays on tfjs (evals). */
export function activationsOnOnnx(model: HookedModel): boolean {
  return model instanceof Gpt2 && gpt2OnnxRuntime() !== undefined;
}
