import { describe, expect, it } from 'vitest';
import { run } from '../../../src-main/bench/attention.js';

describe('attention bench', () => {
  it('times both paths, forward and with gradients, in wall and CPU milliseconds, for each shape', async () => {
    const result = await run({ small: { batch: 2, heads: 3, pos: 9, dHead: 5 } });
    expect(result.small_shape).toBe('batch 2, heads 3, pos 9, d_head 5');
    for (const path of ['default', 'tfjs_ops']) {
      for (const part of ['forward', 'forward_backward']) {
        for (const unit of ['ms', 'cpu_ms']) expect(result[`small_${path}_${part}_${unit}`], `${path} ${part} ${unit}`).toBeGreaterThanOrEqual(0);
      }
    }
  });
});
