// `sae-explorer splitting`: how a family's latents carry over between neighbouring sizes — kept (one
// child), split (two or more), no counterpart — by the family tree's decoder-cosine rule.
import path from 'node:path';
import type { Command } from 'commander';
import { printJson } from '../io.js';
import { parseNumber } from './train.js';

interface SplittingFlags {
  family: string;
  minCosine: string;
  json?: boolean;
}

const pct = (n: number, of: number): string => `${((100 * n) / of).toFixed(1)}%`;

export function register(program: Command): void {
  program
    .command('splitting')
    .description("feature splitting across a family's sizes: the share of latents kept, split or without counterpart in the next size")
    .requiredOption('--family <dir>', 'family folder (holds family.json and one SAELens folder per size)')
    .option('--min-cosine <c>', 'smallest decoder cosine that links a latent to its parent, as in the family tree', '0.5')
    .option('--json', 'print one JSON object: {"min_cosine","pairs":[{"small","large","kept","split","none","mean_split_children","new_in_large","median_parent_cosine"}]}')
    .action(async (flags: SplittingFlags) => {
      const minCosine = parseNumber('--min-cosine', flags.minCosine);
      const { readSetFile } = await import('../../features/comparable-set.js');
      const set = readSetFile(flags.family);
      if (set.kind !== 'sizes') throw new Error(`${flags.family} is a ${set.kind} set: its members live in different bases, so decoder cosines between them mean nothing`);
      const { initEngine } = await import('../../engine/backend.js');
      await initEngine();
      const { loadFamilyLevels, splittingStats } = await import('../../features/splitting-stats.js');
      const levels = loadFamilyLevels(set.members.map((m) => ({ sae: `${path.basename(set.dir)}/${path.basename(m.path)}`, path: m.path })));
      const stats = await splittingStats(levels, { minCosine });
      if (flags.json) {
        printJson({
          min_cosine: stats.minCosine,
          pairs: stats.pairs.map((p) => ({ small: p.small, large: p.large, kept: p.kept, split: p.split, none: p.none, mean_split_children: p.meanSplitChildren, new_in_large: p.newInLarge, median_parent_cosine: p.medianParentCosine })),
        });
        return;
      }
      const lines = [`decoder cosine ≥ ${stats.minCosine} links a latent to its closest latent in the next smaller size`];
      for (const p of stats.pairs) {
        const n = p.kept + p.split + p.none;
        const m = levels.find((l) => l.sae === p.large)!.dSae;
        lines.push(
          `${p.small} → ${p.large}: kept ${p.kept} (${pct(p.kept, n)}), split ${p.split} (${pct(p.split, n)}, ${p.meanSplitChildren.toFixed(2)} children each), no counterpart ${p.none} (${pct(p.none, n)}); ` +
            `new in the larger size ${p.newInLarge} of ${m} (${pct(p.newInLarge, m)}); median parent cosine ${p.medianParentCosine.toFixed(3)}`,
        );
      }
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
