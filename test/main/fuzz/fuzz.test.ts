import { describe, expect, it } from 'vitest';
import { runFuzz, summarise, CATEGORIES, type CaseResult } from '../../fuzz/harness.js';

describe('fuzz suite (CI size: every fixed case, 3 random ones per category, the 64 MiB line)', () => {
  it('ends every malformed input in a clear error, with no crash, no hang and a live server', async () => {
    const results = await runFuzz({ seed: 1, cases: 3, ci: true, categories: [...CATEGORIES] });
    const rows = summarise(results);
    expect(rows.map((r) => r.category)).toEqual([...CATEGORIES]);
    for (const row of rows) expect(row.cases, row.category).toBeGreaterThan(15);
    const show = (r: CaseResult) => `${r.outcome} [${r.category}] ${r.name}: ${r.detail}`;
    expect(results.filter((r) => r.outcome !== 'pass').map(show)).toEqual([]);
  });
});
