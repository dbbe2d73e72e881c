import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeSafetensors } from '../../../src-main/io/safetensors.js';
import type { SaeTrainState } from '../../../src-main/sae/api.js';
import { validateSaeConfig } from '../../../src-main/sae/config.js';
import { readCheckpoint, writeCheckpoint } from '../../../src-main/train/checkpoint.js';

function state(dIn: number, dSae: number, seed: number): SaeTrainState {
  const fill = (n: number, offset: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 100 + offset + i));
  const arrays = (offset: number) => ({ W_enc: fill(dIn * dSae, offset), b_enc: fill(dSae, offset + 1), W_dec: fill(dSae * dIn, offset + 2), b_dec: fill(dIn, offset + 3) });
  return {
    config: validateSaeConfig({ dIn, dSae, k: 2 }),
    params: arrays(0),
    adamM: arrays(10),
    adamV: arrays(20),
    step: 7 + seed,
    tokensSinceFired: fill(dSae, 30),
    firingCounts: fill(dSae, 40),
    tokensSeen: 1234 + seed,
    threshold: 0.5 * seed,
    mseScale: 1 / (seed + 3),
  };
}

describe('checkpoint', () => {
  it('round-trips every SAE state and the run metadata exactly, leaving no temp file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ckpt-'));
    const file = join(dir, 'checkpoint.safetensors');
    const states = [state(4, 8, 1), state(4, 16, 2)];
    const run = { step: 12, stream: { epoch: 1, fillRng: [1, 2, 3, 4] }, note: 'x' };
    writeCheckpoint(file, run, states);
    const back = readCheckpoint<typeof run>(file);
    expect(back.run).toEqual(run);
    expect(back.states).toHaveLength(2);
    for (let i = 0; i < 2; i++) {
      expect(back.states[i].config).toEqual(states[i].config);
      expect(back.states[i].step).toBe(states[i].step);
      expect(back.states[i].threshold).toBe(states[i].threshold);
      expect(back.states[i].tokensSeen).toBe(states[i].tokensSeen);
      expect(Array.from(back.states[i].adamV.W_dec)).toEqual(Array.from(states[i].adamV.W_dec));
      expect(Array.from(back.states[i].params.b_enc)).toEqual(Array.from(states[i].params.b_enc));
      expect(Array.from(back.states[i].firingCounts)).toEqual(Array.from(states[i].firingCounts));
    }
    expect(readdirSync(dir)).toEqual(['checkpoint.safetensors']);
  });

  it('explains a missing file, a foreign safetensors file and a truncated one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ckpt-'));
    expect(() => readCheckpoint(join(dir, 'none.safetensors'))).toThrow(/no checkpoint at .*none\.safetensors: nothing to resume/);
    const foreign = join(dir, 'weights.safetensors');
    writeSafetensors(foreign, { a: { dtype: 'F32', shape: [1], data: new Float32Array(1) } });
    expect(() => readCheckpoint(foreign)).toThrow(/not a training checkpoint/);
    const truncated = join(dir, 'cut.safetensors');
    writeFileSync(truncated, Buffer.from([1, 2, 3]));
    expect(() => readCheckpoint(truncated)).toThrow(/cut\.safetensors/);
  });
});
