// `sae-explorer demo` (`npm run demo`): the app's main job on the embedded default, end to end — the
// shipped language model, a family of three SAE sizes trained on the embedded State of the Union
// corpus in one pass, a harvest of every latent into the workspace's feature database, and the
// family's UMAPs, by decoder directions and by activation profiles; then, when the model carries
// snapshots of its pretraining, a checkpoints set (one SAE per snapshot and one on the final model,
// same site and tokens), its harvest and the counterparts matched across it, ending with the share of
// final features already present at each earlier checkpoint. It fills the same workspace `npm start`
// opens, so the app shows the result; the settings and the "already built" checks are
// src-main/demo's, shared with the app's demo.build.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';

interface DemoFlags {
  workspace: string;
  model: string;
  hook?: string;
  expansion?: string;
  k?: string;
  lr?: string;
  tokens?: string;
  harvestTokens?: string;
  evalTokens?: string;
  batch?: string;
  checkpointTokens?: string;
}

export function register(program: Command): void {
  program
    .command('demo')
    .description('train a family of SAEs on the embedded corpus, harvest their features and map them, into a workspace the app opens')
    .option('--workspace <dir>', 'workspace folder (the one `npm start` opens)', 'workspace')
    .option(
      '--model <dir-or-name>',
      '"shipped" (the GPT-2 pretrained on the embedded corpus that comes with the app), "tiny" (a generated random 2-layer GPT-2), a GPT-2 folder or a Hub name such as gpt2',
      'shipped',
    )
    .option('--hook <name>', 'hook to train on (default: blocks.8.hook_resid_post as in Gao et al. for 12+ layers, else the residual stream entering the middle block)')
    .option('--expansion <e1,e2,...>', 'dictionary sizes as multiples of d_model (default 2,4,8)')
    .option('--k <k>', 'active latents per token (default: 32 at GPT-2 small\'s width as in Gao et al., d_model / 8 for narrower models)')
    .option('--lr <lr>', 'learning rate of every size (default: the trainer\'s rate for the smallest size, 2e-4 / sqrt(d_sae / 2^14))')
    .option('--tokens <n>', 'training tokens (default 1M)')
    .option('--harvest-tokens <n>', 'tokens read to find each latent\'s top contexts (default 100k)')
    .option('--batch <n>', 'tokens per training step (default 1024)')
    .option('--eval-tokens <n>', 'held-out tokens for the final evals (FVU, ΔLM loss, CE score), 0 = none (default 4096)')
    .option('--checkpoint-tokens <n>', 'training tokens of each SAE of the checkpoints set, built when the model folder has snapshots/step-N/ (lm train --keep-at), 0 = no set (default 500k)')
    .action(async (flags: DemoFlags, command: Command) => {
      const { main } = await import('../main.js');
      const { WorkspaceLayout } = await import('../../jobs/workspace/layout.js');
      const { resolveModelDir } = await import('../../hub/resolve.js');
      const { readGpt2Config } = await import('../../model/load.js');
      const { checkpointShares, demoPlan, demoProgress, DEMO_DATASET } = await import('../../demo/plan.js');
      const { parseCount } = await import('./train.js');
      const backend = command.parent?.opts().backend as string | undefined;
      const run = async (...args: string[]) => {
        process.stderr.write(`\n$ sae-explorer ${args.join(' ')}\n`);
        const code = await main(['node', 'sae-explorer', ...(backend ? ['--backend', backend] : []), ...args]);
        if (code !== 0) throw new Error(`demo stopped: "sae-explorer ${args[0]}" failed (exit ${code}); see the message above`);
      };
      const count = (flag: string, value: string | undefined) => (value === undefined ? undefined : parseCount(flag, value));
      const number = (flag: string, value: string | undefined) => {
        if (value === undefined) return undefined;
        const n = Number(value);
        if (value.trim() === '' || !(n > 0) || !Number.isFinite(n)) throw new Error(`${flag} must be a number > 0, got "${value}"`);
        return n;
      };

      const workspace = new WorkspaceLayout(flags.workspace);
      workspace.ensure();
      let modelDir: string;
      if (flags.model === 'shipped') {
        const { initEngine } = await import('../../engine/backend.js');
        const { installShippedModel } = await import('../../demo/shipped-model.js');
        await initEngine();
        const installed = await installShippedModel(workspace);
        modelDir = installed.dir;
        if (installed.copied) process.stderr.write(`copied the shipped model into ${modelDir}\n`);
      } else if (flags.model === 'tiny') {
        modelDir = workspace.model('tiny-gpt2');
        if (!existsSync(path.join(modelDir, 'config.json'))) await run('model', 'create-tiny', '--out', modelDir);
      } else {
        modelDir = await resolveModelDir(flags.model, { download: true });
      }
      const plan = demoPlan(workspace, modelDir, readGpt2Config(modelDir), {
        hook: flags.hook,
        expansion: flags.expansion?.split(',').map((e) => number('--expansion', e)!),
        k: count('--k', flags.k),
        lr: number('--lr', flags.lr),
        tokens: count('--tokens', flags.tokens),
        batch: count('--batch', flags.batch),
        evalTokens: count('--eval-tokens', flags.evalTokens),
        harvestTokens: count('--harvest-tokens', flags.harvestTokens),
        checkpointTokens: count('--checkpoint-tokens', flags.checkpointTokens),
      });
      const built = demoProgress(plan);
      if (built.trained) {
        process.stderr.write(`\n${plan.familyDir} is already trained; reusing it (delete the folder to train again)\n`);
      } else {
        await run('train', '--model', modelDir, '--dataset', DEMO_DATASET, '--hook', plan.hook, '--latents', plan.latents.join(','), '--k', String(plan.k),
          '--lr', String(plan.lr),
          '--tokens', String(plan.tokens), '--batch', String(plan.batch), '--eval-tokens', String(plan.evalTokens), '--out', plan.familyDir);
      }
      if (built.mapped) {
        process.stderr.write(`${plan.familyDir} is already harvested and mapped in ${plan.database}; reusing them\n`);
      } else {
        // The harvest skips the sizes it already holds with the same settings.
        await run('harvest', '--model', modelDir, '--sae', plan.familyDir, '--dataset', DEMO_DATASET, '--tokens', String(plan.harvestTokens), '--db', plan.database);
        await run('umap', '--db', plan.database, '--family', plan.familyDir);
        await run('umap', '--db', plan.database, '--family', plan.familyDir, '--basis', 'activation');
      }
      const set = plan.checkpoints;
      if (set && built.checkpoints!.trained) process.stderr.write(`${set.setDir} is already trained; reusing it\n`);
      else if (set) {
        const { setHasProgress } = await import('../../train/checkpoint-set.js');
        // Earliest first; the set's last member, "final", is --model. An interrupted set continues.
        await run('train', '--model', modelDir, '--checkpoints', set.snapshots.map((s) => s.dir).join(','), '--dataset', DEMO_DATASET, '--hook', plan.hook,
          '--latents', String(set.latents), '--k', String(plan.k), '--lr', String(plan.lr), '--tokens', String(set.tokens), '--batch', String(plan.batch),
          '--eval-tokens', String(plan.evalTokens), '--out', set.setDir, ...(setHasProgress(set.setDir) ? ['--resume'] : []));
      }
      if (set && built.checkpoints!.matched) process.stderr.write(`${set.setDir} is already harvested and matched in ${plan.database}; reusing them\n`);
      else if (set) await run('harvest', '--model', modelDir, '--sae', set.setDir, '--dataset', DEMO_DATASET, '--tokens', String(plan.harvestTokens), '--db', plan.database);
      const { sizes } = JSON.parse((await import('node:fs')).readFileSync(path.join(plan.familyDir, 'family.json'), 'utf8')) as { sizes: number[] };
      process.stdout.write(
        `\nDone: ${sizes.length} SAEs (${sizes.join(', ')} latents) of ${path.basename(modelDir)} on ${plan.hook}, harvested into ${plan.database}.\n` +
          `Open the workspace in the app: npm start  (or: npx sae-explorer serve --workspace ${workspace.root})\n` +
          `Look at one feature from the shell: npx sae-explorer feature --db ${plan.database} --sae ${path.join(plan.familyDir, String(sizes[0]))} --latent 0 --json\n`,
      );
      const shares = checkpointShares(plan);
      if (set && shares) {
        const { PRESENT_AT } = await import('../../features/counterparts.js');
        process.stdout.write(
          `\nCheckpoints set: ${set.snapshots.length + 1} SAEs of ${set.latents} latents on ${set.snapshots.map((s) => s.name).join(', ')} and the final model, ${set.setDir}.\n` +
            `Share of the final model's features already present (best counterpart r ≥ ${PRESENT_AT}):\n` +
            shares.map((m) => `  ${m.label}: ${m.share === null ? 'not matched' : `${m.share.toFixed(3)} (${(100 * m.share).toFixed(1)}%)`}\n`).join(''),
        );
      }
    });
}
