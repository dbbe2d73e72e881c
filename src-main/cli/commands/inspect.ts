// `sae-explorer inspect`: the active latents of an SAE at every token of a text.
import type { Command } from 'commander';

interface InspectFlags {
  model: string;
  sae: string;
  text: string;
  top?: string;
  latent?: string;
  json?: boolean;
}

function nonNegativeInt(flag: string, value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new Error(`${flag} must be a non-negative integer, got "${value}"`);
  return Number(value);
}

export function register(program: Command): void {
  program
    .command('inspect')
    .description('run a text through the model and an SAE: top latents per token, or one latent on every token')
    .requiredOption('--model <dir-or-name>', 'GPT-2 model folder or Hub name')
    .requiredOption('--sae <dir>', 'SAELens folder')
    .requiredOption('--text <text>', 'the prompt')
    .option('--top <n>', 'latents listed per token', '5')
    .option('--latent <i>', "also print this latent's activation on every token")
    .option('--json', 'print one JSON object')
    .action(async (flags: InspectFlags) => {
      const top = nonNegativeInt('--top', flags.top ?? '5');
      const latent = flags.latent === undefined ? undefined : nonNegativeInt('--latent', flags.latent);
      const { loadModelAndTokenizer } = await import('../io.js');
      const { loadSaeLens } = await import('../../sae/formats/saelens.js');
      const { createSaeRunner } = await import('../../sae/inference.js');
      const { inspectText } = await import('../../features/inspect.js');
      const bundle = loadSaeLens(flags.sae);
      const { model, tokenizer } = await loadModelAndTokenizer(flags.model);
      const sae = createSaeRunner(bundle);
      try {
        const result = await inspectText(model, sae, tokenizer, flags.text, { top, latent, bos: bundle.spec.prependBos });
        if (flags.json) {
          process.stdout.write(
            `${JSON.stringify({
              tokens: result.tokens.map((t) => t.id),
              token_strs: result.tokens.map((t) => t.text),
              top: result.perToken,
              ...(result.latent ? { latent: result.latent.index, acts: result.latent.acts } : {}),
            })}\n`,
          );
          return;
        }
        result.tokens.forEach((t, p) => {
          const extra = result.latent ? `  [${result.latent.index}: ${result.latent.acts[p].toFixed(3)}]` : '';
          process.stdout.write(`${JSON.stringify(t.text).padEnd(16)} ${result.perToken[p].map((e) => `${e.latent}:${e.act.toFixed(2)}`).join('  ')}${extra}\n`);
        });
      } finally {
        sae.dispose();
        model.dispose();
      }
    });
}
