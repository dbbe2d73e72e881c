import { describe, expect, it } from 'vitest';
import { defaultShards } from '../../../src-main/bench/sae-train.js';

describe('sae-train bench', () => {
  it('times worker shards only on wasm: TensorFlow (tfjs-node, tfjs-node-gpu) refuses them', () => {
    expect(defaultShards('wasm', 8)).toBe(2);
    expect(defaultShards('wasm', 1)).toBe(1);
    expect(defaultShards('tensorflow', 24)).toBe(1);
    expect(defaultShards('cpu', 24)).toBe(1);
  });
});
