import { describe, expect, it } from 'vitest';
import { tf } from '../../../src-main/engine/backend.js';
import { ACTIVATIONS, type Activation } from '../../../src-main/model/config.js';
import { activate } from '../../../src-main/model/mlp.js';

/** The formulas of Hugging Face's ACT2FN, one scalar at a time. */
const tanhGelu = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
const erf = (x: number): number => {
  // Abramowitz & Stegun 7.1.26 is too coarse for 1e-5; integrate instead (Simpson, 2000 steps).
  const n = 2000;
  const h = x / n;
  let sum = 0;
  for (let i = 0; i <= n; i++) sum += Math.exp(-((i * h) ** 2)) * (i === 0 || i === n ? 1 : i % 2 ? 4 : 2);
  return ((2 / Math.sqrt(Math.PI)) * h * sum) / 3;
};
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const FORMULAS: Record<Activation, (x: number) => number> = {
  gelu_new: tanhGelu,
  gelu_pytorch_tanh: tanhGelu,
  gelu_fast: tanhGelu,
  gelu: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
  quick_gelu: (x) => x * sigmoid(1.702 * x),
  relu: (x) => Math.max(0, x),
  silu: (x) => x * sigmoid(x),
};

describe('MLP activations', () => {
  const inputs = [-30, -6, -2.5, -1, -0.3, 0, 0.1, 0.7, 1.5, 3, 8, 40];
  for (const name of ACTIVATIONS) {
    it(`${name} matches its formula`, () => {
      const x = tf.tensor3d(inputs, [1, 1, inputs.length]);
      const y = activate(x, name);
      Array.from(y.dataSync()).forEach((value, i) => expect(value, `${name}(${inputs[i]})`).toBeCloseTo(FORMULAS[name](inputs[i]), 5));
      tf.dispose([x, y]);
    });
  }
});
