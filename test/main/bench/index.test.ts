// The benchmark runner: one JSON object on stdout's side, and a benchmark's table, when it has one,
// on stderr as soon as that benchmark ends.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BENCHMARKS, runBenchmarks } from '../../../src-main/bench/index.js';

describe('runBenchmarks', () => {
  afterEach(() => {
    delete BENCHMARKS.stand_in;
    vi.restoreAllMocks();
  });

  it('keeps nested results and prints a benchmark\'s table on stderr', async () => {
    BENCHMARKS.stand_in = async () => ({ run: async () => ({ rows: [{ arch: 'topk', recovered: 0.5 }] }), table: (result) => `TABLE ${JSON.stringify(result.rows)}` });
    const written: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (written.push(String(chunk)), true));
    const output = (await runBenchmarks(['stand_in'])) as { results: Record<string, Record<string, unknown>> };
    expect(output.results.stand_in.rows).toEqual([{ arch: 'topk', recovered: 0.5 }]);
    expect(written).toContain('TABLE [{"arch":"topk","recovered":0.5}]\n');
  });

  it('registers the recovery benchmark and refuses an unknown name with the known ones', async () => {
    expect(Object.keys(BENCHMARKS)).toContain('recovery');
    await expect(runBenchmarks(['recovry'])).rejects.toThrow(/unknown benchmark "recovry": expected one of .*recovery/);
  });
});
