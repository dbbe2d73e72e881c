// `sae-explorer demo` (`npm run demo`): the app's main job on the embedded default, end to end — a
// model, a family of three SAE sizes trained on the embedded State of the Union corpus in one pass,
// a harvest of every latent into the workspace's feature database, and one UMAP of the whole family.
// It fills the same workspace `npm start` opens, so the app shows the result.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';

interface DemoFlags {
  workspace: string;
  model: string;
  hook?: string;
  expansion: string;
  k?: string;
  tokens: string;
  harvestTokens: string;
  evalTokens: string;
  batch: string;
}

export function register(program: Command): void {
  program
    .command('demo')
    .description('train a family of SAEs on the embedded corpus, harvest their features and map them, into a workspace the app opens')
    .option('--workspace <dir>', 'workspace folder (the one `npm start` opens)', 'workspace')
    .option('--model <dir-or-name>', '"tiny" (a generated 2-layer GPT-2, needs no network), a GPT-2 folder or a Hub name such as gpt2', 'tiny')
    .option('--hook <name>', 'hook to train on (default: blocks.8.hook_resid_post as in Gao et al., or the last block of a smaller model)')
    .option('--expansion <e1,e2,...>', 'dictionary sizes as multiples of d_model', '4,16,64')
    .option('--k <k>', 'active latents per token (default: 32 at GPT-2 small\'s width as in Gao et al., d_model / 8 for narrower models)')
    .option('--tokens <n>', 'training tokens', '1M')
    .option('--harvest-tokens <n>', 'tokens read to find each latent\'s top contexts', '100k')
    .option('--batch <n>', 'tokens per training step', '1024')
    .option('--eval-tokens <n>', 'held-out tokens for the final evals (FVU, ΔLM loss, CE score), 0 = none', '16384')
    .action(async (flags: DemoFlags, command: Command) => {
      const { main } = await import('../main.js');
      const { WorkspaceLayout, DEFAULT_DATABASE } = await import('../../jobs/workspace/layout.js');
      const { resolveModelDir } = await import('../../hub/resolve.js');
      const { readFileSync } = await import('node:fs');
      const { parseCount } = await import('./train.js');
      const backend = command.parent?.opts().backend as string | undefined;
      const run = async (...args: string[]) => {
        process.stderr.write(`\n$ sae-explorer ${args.join(' ')}\n`);
        const code = await main(['node', 'sae-explorer', ...(backend ? ['--backend', backend] : []), ...args]);
        if (code !== 0) throw new Error(`demo stopped: "sae-explorer ${args[0]}" failed (exit ${code}); see the message above`);
      };

      const workspace = new WorkspaceLayout(flags.workspace);
      workspace.ensure();
      let modelDir: string;
      if (flags.model === 'tiny') {
        modelDir = workspace.model('tiny-gpt2');
        if (!existsSync(path.join(modelDir, 'config.json'))) await run('model', 'create-tiny', '--out', modelDir);
      } else {
        modelDir = await resolveModelDir(flags.model, { download: true });
      }
      const { n_layer: nLayer, n_embd: dModel } = JSON.parse(readFileSync(path.join(modelDir, 'config.json'), 'utf8')) as { n_layer: number; n_embd: number };
      // The paper's k = 32 is 4% of GPT-2 small's 768 dimensions; a tiny model's 64 would be half dense.
      const k = flags.k ?? String(dModel >= 768 ? 32 : Math.max(4, Math.round(dModel / 8)));
      const hook = flags.hook ?? `blocks.${Math.min(8, nLayer - 1)}.hook_resid_post`;

      const family = workspace.family(`demo-${path.basename(modelDir)}-${hook.replace(/[^\w.-]/g, '_')}`);
      if (existsSync(path.join(family, 'family.json'))) {
        process.stderr.write(`\n${family} is already trained; reusing it (delete the folder to train again)\n`);
      } else {
        await run('train', '--model', modelDir, '--dataset', 'sotu', '--hook', hook, '--expansion', flags.expansion, '--k', k,
          '--tokens', flags.tokens, '--batch', flags.batch, '--eval-tokens', flags.evalTokens, '--out', family);
      }
      const { sizes } = JSON.parse(readFileSync(path.join(family, 'family.json'), 'utf8')) as { sizes: number[] };
      const database = workspace.database(DEFAULT_DATABASE);
      await run('harvest', '--model', modelDir, '--sae', sizes.map((n) => path.join(family, String(n))).join(','), '--dataset', 'sotu',
        '--tokens', String(parseCount('--harvest-tokens', flags.harvestTokens)), '--db', database);
      await run('umap', '--db', database, '--family', family);
      process.stdout.write(
        `\nDone: ${sizes.length} SAEs (${sizes.join(', ')} latents) on ${hook}, harvested into ${database}.\n` +
          `Open the workspace in the app: npm start  (or: npx sae-explorer serve --workspace ${workspace.root})\n` +
          `Look at one feature from the shell: npx sae-explorer feature --db ${database} --sae ${path.join(family, String(sizes[0]))} --latent 0 --json\n`,
      );
    });
}
