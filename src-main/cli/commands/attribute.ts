// `sae-explorer attribute`: the SAE latents behind one next-token prediction, direct and total effects.
import type { Command } from 'commander';
import { parseCommaList, printJson } from '../io.js';

interface AttributeFlags {
  model: string;
  sae: string;
  prompt: string;
  target: string;
  top: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('attribute')
    .description("attribute a target next token's logit to SAE latents: direct effect (ln_final scale frozen) and total effect by ablation")
    .requiredOption('--model <dir-or-name>', 'GPT-2 model folder or Hub name')
    .requiredOption('--sae <dir[,dir...]>', 'SAELens folders, each at its own residual-stream site')
    .requiredOption('--prompt <text>', 'the prompt; the target is the token after it')
    .requiredOption('--target <token>', 'the text of exactly one token, e.g. " Paris"')
    .option('--top <n>', 'latents printed per site (the JSON has them all)', '10')
    .option('--json', 'print the whole attribution as one JSON object')
    .action(async (flags: AttributeFlags) => {
      if (!/^\d+$/.test(flags.top)) throw new Error(`--top must be a non-negative integer, got "${flags.top}"`);
      const dirs = parseCommaList(flags.sae, '--sae');
      const { loadModelAndTokenizer } = await import('../io.js');
      const { loadSaeLens } = await import('../../sae/formats/saelens.js');
      const { createSaeRunner } = await import('../../sae/inference.js');
      const { attributePrompt } = await import('../../causal/attribution-report.js');
      const bundles = dirs.map((dir) => loadSaeLens(dir));
      const { model, tokenizer } = await loadModelAndTokenizer(flags.model);
      const saes = bundles.map((bundle, i) => ({ id: dirs[i]!, runner: createSaeRunner(bundle) }));
      try {
        const result = attributePrompt(model, tokenizer, saes, flags.prompt, flags.target);
        if (flags.json) {
          printJson(result);
          return;
        }
        const f = (v: number) => v.toFixed(3).padStart(9);
        const lines = [`target ${JSON.stringify(result.target.token)} (${result.target.id}): logit ${result.logit.toFixed(3)}, log-prob ${result.logProb.toFixed(3)}; ln_final scale frozen at ${result.lnFinalScale.toFixed(4)}`];
        for (const site of result.sites) {
          lines.push(`${site.sae} (${site.hookName}): error direct ${f(site.error.direct)} total ${f(site.error.total.logit)}; b_dec ${f(site.bias)}; rest of stream ${f(site.rest)}`);
          lines.push('   latent  activation     direct  Δlogit  Δlog-prob');
          for (const l of site.latents.slice(0, Number(flags.top))) lines.push(`${String(l.latent).padStart(9)} ${f(l.activation)}  ${f(l.direct)} ${f(l.total.logit)} ${f(l.total.logProb)}`);
        }
        process.stdout.write(`${lines.join('\n')}\n`);
      } finally {
        for (const s of saes) s.runner.dispose();
        model.dispose();
      }
    });
}
