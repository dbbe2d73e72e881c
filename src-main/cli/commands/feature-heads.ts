// `sae-explorer feature-heads`: which attention heads, MLPs and embeddings write a latent's
// pre-activation (direct feature attribution), at its top contexts from the feature database or at
// the strongest token of a prompt.
import type { Command } from 'commander';
import type { FeatureHeadsResult } from '../../../src-shared/api.js';
import { printJson } from '../io.js';

interface FeatureHeadsFlags {
  model: string;
  sae: string;
  latent: string;
  db?: string;
  prompt?: string;
  contexts: string;
  json?: boolean;
}

/** Top contexts read at most; the app's feature page shows as many. */
const MAX_CONTEXTS = 20;

function count(flag: string, value: string, max: number): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1 || Number(value) > max) throw new Error(`${flag} must be an integer in 1..${max}, got "${value}"`);
  return Number(value);
}

export function register(program: Command): void {
  program
    .command('feature-heads')
    .description("split a latent's pre-activation into what each attention head, MLP and embedding wrote (direct feature attribution)")
    .requiredOption('--model <dir-or-name>', 'GPT-2 model folder or Hub name')
    .requiredOption('--sae <dir>', 'SAELens folder (as harvested, when --db is given)')
    .requiredOption('--latent <i>', 'latent index')
    .option('--db <file>', "feature database: read the latent's top contexts, each at its strongest token")
    .option('--prompt <text>', 'instead of --db: read this prompt at the token with the largest pre-activation')
    .option('--contexts <n>', `top contexts read from --db (1..${MAX_CONTEXTS})`, '10')
    .option('--json', 'print {latent, hook_name, frozen, contexts: [{tokens, position, pre_activation, bias}], components: [{name, kind, layer, head, mean, values}]}')
    .action(async (flags: FeatureHeadsFlags) => {
      if (!/^\d+$/.test(flags.latent.trim())) throw new Error(`--latent must be a non-negative integer, got "${flags.latent}"`);
      if ((flags.db === undefined) === (flags.prompt === undefined)) throw new Error('give exactly one of --db (the latent\'s top contexts) and --prompt');
      const latent = Number(flags.latent);
      const contextCount = count('--contexts', flags.contexts, MAX_CONTEXTS);
      const { loadModelAndTokenizer } = await import('../io.js');
      const { loadSaeLens } = await import('../../sae/formats/saelens.js');
      const { createSaeRunner } = await import('../../sae/inference.js');
      const { decomposePreActivation, featureHeads } = await import('../../circuits/feature-heads.js');
      const bundle = loadSaeLens(flags.sae);
      const { model, tokenizer } = await loadModelAndTokenizer(flags.model);
      const runner = createSaeRunner(bundle);
      try {
        const bos = bundle.spec.prependBos ? [model.config.bosTokenId] : [];
        let contexts: Array<{ ids: number[]; position: number }>;
        if (flags.db !== undefined) {
          const { openStore } = await import('../../store/open.js');
          const { featurePage, resolveSae } = await import('../../store/queries.js');
          const db = openStore(flags.db, { readonly: true });
          try {
            const top = featurePage(db, resolveSae(db, flags.sae).id, latent).top.slice(0, contextCount);
            if (top.length === 0) throw new Error(`latent ${latent} has no top contexts in ${flags.db}; it never fired while harvesting`);
            contexts = top.map((c) => ({ ids: [...bos, ...c.tokens], position: bos.length + c.maxIndex }));
          } finally {
            db.close();
          }
        } else {
          const { promptIds } = await import('../../causal/prompt.js');
          const { ids, offset } = promptIds(tokenizer, flags.prompt!, { bos: bundle.spec.prependBos, nPositions: model.config.nPositions, reserve: 0 });
          const positions = Array.from({ length: ids.length - offset }, (_, i) => offset + i);
          if (positions.length === 0) throw new Error('--prompt is empty; give some text');
          const { at } = decomposePreActivation(model, bundle, runner, ids, positions, latent);
          const strongest = at.reduce((best, a) => (a.preActivation > best.preActivation ? a : best));
          contexts = [{ ids, position: strongest.position }];
        }
        const result = featureHeads(model, bundle, runner, contexts, latent);
        if (flags.json) {
          printJson(toJson(latent, result, contexts.map((c) => c.ids.slice(bos.length)), bos.length));
          return;
        }
        const lines = [
          `latent ${latent} at ${result.hookName}, over ${contexts.length} context${contexts.length === 1 ? '' : 's'}; frozen: ${result.frozen}`,
          ...contexts.map((c, i) => `  ${tokenizer.displayToken(c.ids[c.position]!)} (position ${c.position - bos.length}): pre-activation ${result.contexts[i]!.preActivation.toFixed(3)} = Σ parts + bias ${result.contexts[i]!.bias.toFixed(3)}`),
          'mean share of the pre-activation:',
          ...result.components.slice(0, 15).map((part) => `  ${part.name.padEnd(16)} ${part.mean >= 0 ? ' ' : ''}${part.mean.toFixed(4)}`),
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
      } finally {
        runner.dispose();
        model.dispose();
      }
    });
}

/** Tokens and positions without BOS, as the feature database and the prompt give them. */
function toJson(latent: number, result: FeatureHeadsResult, tokens: number[][], bosLength: number): Record<string, unknown> {
  return {
    latent,
    hook_name: result.hookName,
    frozen: result.frozen,
    contexts: result.contexts.map((c, i) => ({ tokens: tokens[i], position: c.position - bosLength, pre_activation: c.preActivation, bias: c.bias })),
    components: result.components.map((part) => ({ name: part.name, kind: part.kind, layer: part.layer, head: part.head, mean: part.mean, values: part.values })),
  };
}
