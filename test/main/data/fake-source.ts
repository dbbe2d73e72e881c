// An ActivationSource whose values encode (window, position, dim), so tests can tell exactly which
// tokens a batch holds without running a model.
import type { ActivationSource } from '../../../src-main/data/activations.js';

export class FakeSource implements ActivationSource {
  calls = 0;
  constructor(
    readonly dIn: number,
    readonly tokensPerWindow: number,
  ) {}

  static value(window: number, pos: number, dim: number): number {
    return window * 1000 + pos * 10 + dim;
  }

  async activations(windows: ArrayLike<number>): Promise<Float32Array> {
    this.calls++;
    const out = new Float32Array(windows.length * this.tokensPerWindow * this.dIn);
    let o = 0;
    for (let i = 0; i < windows.length; i++) {
      for (let p = 0; p < this.tokensPerWindow; p++) for (let d = 0; d < this.dIn; d++) out[o++] = FakeSource.value(windows[i], p, d);
    }
    return out;
  }
}
