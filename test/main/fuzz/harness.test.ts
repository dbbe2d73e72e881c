import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runFuzz } from '../../fuzz/harness.js';

const MISBEHAVING = path.join(path.dirname(fileURLToPath(import.meta.url)), 'misbehaving-child.ts');

describe('fuzz watcher', () => {
  it('records a crash and a synchronous hang by case, and goes on in a fresh child', async () => {
    const results = await runFuzz({ seed: 1, cases: 0, ci: true, categories: ['dataset'] }, undefined, MISBEHAVING);
    expect(results.map((r) => [r.index, r.name, r.outcome])).toEqual([
      [0, 'passes', 'pass'],
      [1, 'exits', 'crash'],
      [2, 'loops', 'hang'],
      [3, 'fails', 'fail'],
      [4, 'passes again', 'pass'],
    ]);
    expect(results[1].detail).toContain('process exited with 7');
    expect(results[2].detail).toBe('no end within 1 s');
  });
});
