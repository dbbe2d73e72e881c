// `sae-explorer steer`: a prompt continued as the model is and with SAE latents steered.
import type { Command } from 'commander';
import { parseCommaList, printJson } from '../io.js';

interface SteerFlags {
  model: string;
  sae: string;
  latent: string;
  strength: string;
  mode: string;
  prompt: string;
  maxTokens: string;
  from?: string;
  temperature?: string;
  seed?: string;
  json?: boolean;
}

function integer(flag: string, value: string, min: number): number {
  if (!/^-?\d+$/.test(value.trim()) || Number(value) < min) throw new Error(`${flag} must be an integer ≥ ${min}, got "${value}"`);
  return Number(value);
}

function number(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new Error(`${flag} must be a number, got "${value}"`);
  return n;
}

export function register(program: Command): void {
  program
    .command('steer')
    .description('continue a prompt as the model is and with SAE latents steered (add a decoder direction, or clamp a latent)')
    .requiredOption('--model <dir-or-name>', 'GPT-2 model folder or Hub name')
    .requiredOption('--sae <dir>', 'SAELens folder; steering happens at its hook_name')
    .requiredOption('--latent <i[,j...]>', 'latents steered together')
    .requiredOption('--strength <s>', 'add: multiple of each decoder direction; clamp: value each latent is held at')
    .option('--mode <add|clamp>', 'add the direction, or clamp the latent (keeping the SAE error term)', 'add')
    .requiredOption('--prompt <text>', 'the prompt')
    .option('--max-tokens <n>', 'new tokens per completion', '20')
    .option('--from <p>', 'steer prompt tokens from index p on (0 = first prompt token); default every position, BOS included')
    .option('--temperature <t>', 'sampling temperature; default 0 (greedy), or 1 when --seed is given')
    .option('--seed <s>', 'sampling seed, the same for both completions')
    .option('--json', 'print {"baseline", "steered", "baseline_ids", "steered_ids"}')
    .action(async (flags: SteerFlags) => {
      if (flags.mode !== 'add' && flags.mode !== 'clamp') throw new Error(`--mode must be add or clamp, got "${flags.mode}"`);
      const latents = parseCommaList(flags.latent, '--latent').map((v) => integer('--latent', v, 0));
      const strength = number('--strength', flags.strength);
      const maxNewTokens = integer('--max-tokens', flags.maxTokens, 1);
      const from = flags.from === undefined ? undefined : integer('--from', flags.from, 0);
      const seed = flags.seed === undefined ? undefined : integer('--seed', flags.seed, 0);
      const temperature = flags.temperature === undefined ? (seed === undefined ? 0 : 1) : number('--temperature', flags.temperature);
      const { loadModelAndTokenizer } = await import('../io.js');
      const { loadSaeLens } = await import('../../sae/formats/saelens.js');
      const { createSaeRunner } = await import('../../sae/inference.js');
      const { promptIds } = await import('../../causal/prompt.js');
      const { steerGenerate } = await import('../../causal/steer.js');
      const bundle = loadSaeLens(flags.sae);
      const { model, tokenizer } = await loadModelAndTokenizer(flags.model);
      const sae = createSaeRunner(bundle);
      try {
        const { ids, offset } = promptIds(tokenizer, flags.prompt, { bos: bundle.spec.prependBos, nPositions: model.config.nPositions, reserve: maxNewTokens });
        const result = steerGenerate(model, sae, ids, {
          maxNewTokens,
          temperature,
          ...(seed === undefined ? {} : { seed }),
          intervention: {
            mode: flags.mode,
            latents: latents.map((latent) => ({ latent, value: strength })),
            ...(from === undefined ? {} : { fromPosition: from + offset }),
          },
        });
        const baseline = tokenizer.decode(result.baseline);
        const steered = tokenizer.decode(result.steered);
        if (flags.json) {
          printJson({ baseline, steered, baseline_ids: result.baseline, steered_ids: result.steered, seed: result.seed });
          return;
        }
        process.stdout.write(`prompt:   ${flags.prompt}\nbaseline: ${JSON.stringify(baseline)}\nsteered:  ${JSON.stringify(steered)}\n`);
      } finally {
        sae.dispose();
        model.dispose();
      }
    });
}
