// `sae-explorer feature`: one latent's page from the feature database, as JSON or as text.
import type { Command } from 'commander';
import type { FeaturePage } from '../../store/queries.js';
import type { Gpt2Tokenizer } from '../../tokenizer/bpe.js';
import { tokenizerForModel } from '../io.js';

interface FeatureFlags {
  db: string;
  sae: string;
  latent: string;
  json?: boolean;
}

/** The CLI contract's JSON: latent, density, max_act, top, logits_pos, logits_neg, neighbors (+ a few extras). */
export function featureJson(page: FeaturePage): Record<string, unknown> {
  const context = (c: FeaturePage['top'][number]) => ({ tokens: c.tokens, acts: c.acts, max_index: c.maxIndex });
  return {
    latent: page.latent,
    density: page.density,
    max_act: page.maxAct,
    top: page.top.map(context),
    logits_pos: page.logitsPos,
    logits_neg: page.logitsNeg,
    neighbors: [...page.neighbours, ...page.relatives].map((n) => ({ sae: n.saeId, latent: n.latent, cosine: n.cosine })),
    sae: { id: page.sae.id, path: page.sae.path, d_sae: page.sae.dSae, hook_name: page.sae.hookName },
    mean_act: page.meanAct,
    quantiles: page.quantiles.map((q) => ({ lo: q.lo, hi: q.hi, contexts: q.contexts.map(context) })),
    umap: page.umap,
  };
}

/**
 * The tokenizer of the model the SAE was harvested on (a model with its own vocabulary stores ids of
 * that vocabulary); GPT-2's when the database names no model or the model can no longer be found.
 */
async function harvestedTokenizer(modelName: string | null): Promise<Gpt2Tokenizer> {
  try {
    return await tokenizerForModel(modelName ?? undefined);
  } catch (err) {
    process.stderr.write(`warning: cannot read the tokenizer of ${modelName} (${(err as Error).message}); showing the contexts with GPT-2's\n`);
    return tokenizerForModel(undefined);
  }
}

export function register(program: Command): void {
  program
    .command('feature')
    .description("print one latent's feature page: statistics, top contexts, logit effects, neighbours")
    .requiredOption('--db <file>', 'feature database')
    .requiredOption('--sae <dir-or-id>', 'SAE folder (as harvested) or its id in the database')
    .requiredOption('--latent <i>', 'latent index')
    .option('--json', 'print the page as one JSON object')
    .action(async (flags: FeatureFlags) => {
      if (!/^\d+$/.test(flags.latent.trim())) throw new Error(`--latent must be a non-negative integer, got "${flags.latent}"`);
      const { openStore } = await import('../../store/open.js');
      const { featurePage, resolveSae, saeModelName } = await import('../../store/queries.js');
      const db = openStore(flags.db, { readonly: true });
      try {
        const saeId = resolveSae(db, flags.sae).id;
        const page = featurePage(db, saeId, Number(flags.latent));
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(featureJson(page))}\n`);
          return;
        }
        const tokenizer = await harvestedTokenizer(saeModelName(db, saeId));
        const show = (ids: number[], maxIndex: number) => ids.map((id, i) => (i === maxIndex ? `[[${tokenizer.displayToken(id)}]]` : tokenizer.displayToken(id))).join('');
        const lines = [
          `latent ${page.latent} of SAE ${page.sae.id} (d_sae ${page.sae.dSae}, ${page.sae.hookName})`,
          `density ${(page.density * 100).toFixed(4)}%  mean ${page.meanAct.toFixed(3)}  max ${page.maxAct.toFixed(3)}`,
          'top contexts:',
          ...page.top.slice(0, 10).map((c) => `  ${c.value.toFixed(3)}  ${show(c.tokens, c.maxIndex)}`),
          `promotes: ${page.logitsPos.map((t) => `${t.token} (${t.value.toFixed(2)})`).join(', ')}`,
          `suppresses: ${page.logitsNeg.map((t) => `${t.token} (${t.value.toFixed(2)})`).join(', ')}`,
          `neighbours: ${[...page.neighbours, ...page.relatives].map((n) => `${n.saeId}/${n.latent} (d_sae ${n.dSae}, cos ${n.cosine.toFixed(3)})`).join(', ')}`,
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
      } finally {
        db.close();
      }
    });
}
