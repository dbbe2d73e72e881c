// `bench recovery` end to end on a small planted dictionary, through the family trainer's loop:
// top-k recovers most of it, ReLU-L1 is calibrated to the same L0, and the output carries the
// definitions, the planted reference row and a readable table.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { run, table } from '../../../src-main/bench/recovery.js';

afterEach(() => vi.unstubAllEnvs());

describe('bench recovery', () => {
  it('runs the rows SAE_BENCH_RECOVERY_ARCHS names, and refuses a name it does not know', async () => {
    vi.stubEnv('SAE_BENCH_RECOVERY_ARCHS', 'topk');
    const small = { planted: { d: 8, features: 8, parents: 1, childrenPerParent: 1, meanActive: 2, seed: 1 }, latents: 8, targetL0: 2, tokens: 2000, batch: 500, evalTokens: 500 };
    const output = await run(small, () => {});
    expect((output.results as Array<{ arch: string }>).map((r) => r.arch)).toEqual(['planted', 'topk']);
    vi.stubEnv('SAE_BENCH_RECOVERY_ARCHS', 'topk,vanilla');
    await expect(run({}, () => {})).rejects.toThrow('SAE_BENCH_RECOVERY_ARCHS="topk,vanilla": expected a comma-separated list of topk, batchtopk, matryoshka, relu, jumprelu, gated');
  });

  it('trains top-k and a calibrated ReLU-L1 on one planted stream and reports what they recovered', async () => {
    const lines: string[] = [];
    const output = await run(
      {
        planted: { d: 16, features: 24, parents: 2, childrenPerParent: 2, childGivenParent: 0.3, meanActive: 3, seed: 4 },
        latents: 48,
        targetL0: 3,
        tokens: 200_000,
        batch: 500,
        evalTokens: 4000,
        architectures: ['topk', 'relu'],
        probeTokens: 50_000,
        probes: 4,
        l0Tolerance: 0.1,
      },
      (line) => lines.push(line),
    );
    const rows = output.results as Array<Record<string, number | string | null>>;
    expect(rows.map((r) => r.arch)).toEqual(['planted', 'topk', 'relu']);
    const [planted, topk, relu] = rows;
    expect(planted).toMatchObject({ recovered: 1, absorption_rate: 0, parent_miss_rate: 0, dead_frac: 0 });
    expect(planted.l0).toBeCloseTo(3, 0);
    expect(planted.fvu as number).toBeLessThan(0.01);
    expect(topk.recovered as number).toBeGreaterThanOrEqual(0.75);
    expect(topk.mean_max_cosine as number).toBeGreaterThan(0.9);
    expect(topk.l0 as number).toBeLessThanOrEqual(3);
    expect(topk.fvu as number).toBeLessThan(0.3);
    expect(topk.coefficient).toBeNull();
    // ReLU-L1's L1 coefficient was searched by probe runs, each logged with the L0 it reached.
    expect(relu.coefficient).toEqual(expect.any(Number));
    expect((relu.calibration as unknown as unknown[]).length).toBeGreaterThan(0);
    expect(lines.some((l) => l.startsWith('recovery: relu calibrated: l1Coefficient'))).toBe(true);
    expect(output.definitions).toMatchObject({ absorption_rate: expect.stringContaining("parent's latent") });
    console.log(table(output));
    const text = table(output).split('\n');
    expect(text).toHaveLength(4);
    expect(text[0]).toMatch(/^architecture\s+L0\s+recovered/);
    expect(text[2]).toMatch(/^topk\s/);
  });
});
