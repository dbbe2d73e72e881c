// `sae-explorer sae compare A B`: the app's comparison of two SAEs at one site (features/sae-compare.ts)
// on folders: latents matched by decoder cosine, each matched pair's activation correlation on
// held-out tokens, the share of each side matched above the threshold.
import type { Command } from 'commander';
import { printJson } from '../io.js';
import { parseCount, parseNumber } from './train.js';

interface CompareFlags {
  model: string;
  modelB?: string;
  dataset: string;
  tokens: string;
  threshold: string;
  batch: string;
  method: string;
  json?: boolean;
}

const pct = (share: number): string => `${(100 * share).toFixed(1)}%`;

export function registerCompare(sae: Command): void {
  sae
    .command('compare')
    .description('match the latents of two SAEs at the same site by decoder cosine (Hungarian up to 4,096 a side, else greedy) and confirm each pair by activation correlation')
    .argument('<a>', 'first SAE folder or file (any importable format)')
    .argument('<b>', 'second SAE folder or file, at the same hook and d_in')
    .requiredOption('--model <dir-or-name>', 'GPT-2 folder or Hub name that A reads (and B, unless --model-b)')
    .option('--model-b <dir-or-name>', "B's GPT-2 when it reads another model (a checkpoint, a fine-tune)")
    .option('--dataset <path-or-name>', 'corpus whose held-out split the correlations are measured on: a file, folder, Hub dataset or "sotu"', 'sotu')
    .option('--tokens <n>', 'activation tokens to correlate on', '16384')
    .option('--threshold <c>', 'decoder cosine at or above which a pair counts as matched', '0.7')
    .option('--batch <n>', 'windows per forward pass', '8')
    .option('--method <m>', 'auto (Hungarian up to 4,096 latents a side, else greedy), hungarian or greedy', 'auto')
    .option('--json', 'print the whole comparison as one JSON object (the app\'s comparisons/<id>.json without id and createdAt)')
    .action(async (a: string, b: string, flags: CompareFlags) => {
      const tokens = parseCount('--tokens', flags.tokens);
      const batch = parseCount('--batch', flags.batch);
      const threshold = parseNumber('--threshold', flags.threshold);
      if (!(threshold >= 0 && threshold <= 1)) throw new Error(`--threshold must be a decoder cosine in 0..1, got "${flags.threshold}"`);
      const method = flags.method;
      if (method !== 'auto' && method !== 'hungarian' && method !== 'greedy') throw new Error(`--method must be auto, hungarian or greedy, got "${method}"`);
      const { loadModelAndTokenizer, resolveModel } = await import('../io.js');
      const { importSaeDetailed } = await import('../../sae/formats/detect.js');
      const { createSaeRunner } = await import('../../sae/inference.js');
      const { compareSaes } = await import('../../features/sae-compare.js');
      const loadedA = await loadModelAndTokenizer(flags.model);
      const dirB = flags.modelB === undefined ? loadedA.dir : await resolveModel(flags.modelB);
      const gpt2B = dirB === loadedA.dir ? loadedA.model : (await loadModelAndTokenizer(dirB)).model;
      const runners: Array<{ dispose(): void }> = [];
      try {
        const side = async (folder: string, model: string, gpt2: typeof gpt2B) => {
          const { bundle } = await importSaeDetailed(folder, { model: gpt2.config });
          const runner = createSaeRunner(bundle);
          runners.push(runner);
          return { sae: folder, model, bundle, runner, gpt2 };
        };
        const sideA = await side(a, flags.model, loadedA.model);
        const sideB = await side(b, flags.modelB ?? flags.model, gpt2B);
        const c = await compareSaes(sideA, sideB, { corpus: flags.dataset, dataset: flags.dataset, tokenizer: loadedA.tokenizer, tokens, threshold, batchWindows: batch, method });
        if (flags.json) {
          printJson(c);
          return;
        }
        const at = (t: number) => c.curve.find((p) => Math.abs(p.threshold - t) < 1e-9)!;
        const lines = [
          `${a} (${c.a.dSae} latents) vs ${b} (${c.b.dSae} latents) at ${c.a.hookName}; ${c.method} matching of decoder directions${c.sameModel ? '' : ' across two models'}`,
          `matched at cosine ≥ ${c.threshold}: ${c.matched} pairs = ${pct(c.shareMatchedA)} of A, ${pct(c.shareMatchedB)} of B; median activation correlation of those pairs ${c.medianCorrelation === null ? '— (none matched)' : c.medianCorrelation.toFixed(3)} on ${c.tokens} held-out tokens of ${c.dataset}`,
          `share of A matched at cosine ≥ 0.5 / 0.7 / 0.9: ${[0.5, 0.7, 0.9].map((t) => pct(at(t).shareA)).join(' / ')}`,
          `unmatched: ${c.unmatchedA.length} latents of A, ${c.unmatchedB.length} of B`,
          ...c.notes,
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
      } finally {
        for (const r of runners) r.dispose();
        if (gpt2B !== loadedA.model) gpt2B.dispose();
        loadedA.model.dispose();
      }
    });
}
