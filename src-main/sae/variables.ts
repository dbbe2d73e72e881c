// Variables without leaks: tf.variable and assign keep the tensor they were given counted.
import { tf } from '../engine/backend.js';

/** A non-trainable variable holding a copy of `values` (the temporary tensor is freed). */
export function variableOf(values: Float32Array, shape: number[]): tf.Variable {
  const initial = tf.tensor(values, shape);
  const variable = tf.variable(initial, false);
  initial.dispose();
  return variable;
}

/** variable ← value, then frees `value` (assign keeps the tensor it was given alive otherwise). */
export function replaceValue(variable: tf.Variable, value: tf.Tensor): void {
  variable.assign(value);
  value.dispose();
}
