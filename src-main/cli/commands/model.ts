// `sae-explorer model …`: make a tiny random GPT-2 folder, or fetch a Hub model into the HF cache.
import type { Command } from 'commander';

function integerOption(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim())) throw new Error(`${flag} must be a non-negative integer, got "${value}"`);
  return Number(value);
}

interface CreateTinyFlags {
  out: string;
  layers?: string;
  dModel?: string;
  heads?: string;
  ctx?: string;
  seed?: string;
  force?: boolean;
}

export function register(program: Command): void {
  const model = program.command('model').description('create or download GPT-2 model folders');

  model
    .command('create-tiny')
    .description('write a complete Hugging Face GPT-2 folder with seeded random weights and the GPT-2 tokenizer; prints its path')
    .requiredOption('--out <dir>', 'output folder (created; must be empty or absent unless --force)')
    .option('--layers <n>', 'transformer blocks (default 2)')
    .option('--d-model <d>', 'residual width (default 64)')
    .option('--heads <h>', 'attention heads, dividing d-model (default 4)')
    .option('--ctx <c>', 'context length in tokens (default 128)')
    .option('--seed <s>', 'weight seed; the same seed writes the same bytes (default 0)')
    .option('--force', 'replace a non-empty output folder')
    .action(async (flags: CreateTinyFlags) => {
      const { createTinyModel } = await import('../../model/tiny.js');
      const options = {
        layers: integerOption('--layers', flags.layers),
        dModel: integerOption('--d-model', flags.dModel),
        heads: integerOption('--heads', flags.heads),
        ctx: integerOption('--ctx', flags.ctx),
        seed: integerOption('--seed', flags.seed),
        overwrite: flags.force === true,
      };
      const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
      process.stdout.write(`${createTinyModel(flags.out, given)}\n`);
    });

  model
    .command('pull')
    .description('download a Hub model (e.g. gpt2, distilgpt2) into the Hugging Face cache unless cached; prints the local folder')
    .argument('<name>', 'Hub model name, e.g. gpt2 or openai-community/gpt2')
    .action(async (name: string) => {
      const { resolveHubModel } = await import('../../hub/resolve.js');
      const { cliProgress } = await import('../../hub/progress.js');
      const dir = await resolveHubModel(name, { download: true, onProgress: cliProgress(`pull ${name}`) });
      process.stdout.write(`${dir}\n`);
    });
}
