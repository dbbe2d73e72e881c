// `sae-explorer umap`: 2-D and 3-D UMAP coordinates of all latents of a family (jointly) or one SAE.
import type { Command } from 'commander';

interface UmapFlags {
  db: string;
  family?: string;
  sae?: string;
  seed?: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('umap')
    .description('compute UMAP coordinates (2-D and 3-D, cosine distance of decoder rows) of a harvested family or SAE')
    .requiredOption('--db <file>', 'feature database')
    .option('--family <id>', 'family id, name or folder: all its sizes on one map')
    .option('--sae <dir-or-id>', 'one SAE (folder or id)')
    .option('--seed <n>', 'layout seed', '0')
    .option('--json', 'print a JSON summary on stdout')
    .action(async (flags: UmapFlags) => {
      if (!/^\d+$/.test(flags.seed ?? '0')) throw new Error(`--seed must be a non-negative integer, got "${flags.seed}"`);
      const { initEngine } = await import('../../engine/backend.js');
      await initEngine();
      const { openStore } = await import('../../store/open.js');
      const { runUmap, umapTargets } = await import('../../features/umap-job.js');
      const db = openStore(flags.db);
      const controller = new AbortController();
      const stop = () => controller.abort(new Error('umap cancelled (Ctrl-C); no coordinates were written'));
      process.once('SIGINT', stop);
      try {
        const saes = umapTargets(db, flags);
        const started = performance.now();
        let lastStage = '';
        const { points } = await runUmap(db, saes, { seed: Number(flags.seed ?? 0) }, (stage) => {
          if (stage !== lastStage) process.stderr.write(`umap: ${stage === 'knn' ? 'neighbour graph' : '2-D and 3-D layouts'}…\n`);
          lastStage = stage;
        }, controller.signal);
        const seconds = (performance.now() - started) / 1000;
        if (flags.json) process.stdout.write(`${JSON.stringify({ points, seconds, saes: saes.map((s) => ({ id: s.id, d_sae: s.dSae, path: s.path })) })}\n`);
        else process.stdout.write(`UMAP of ${points} latents (${saes.map((s) => s.dSae).join(' + ')}) in ${seconds.toFixed(1)} s\n`);
      } finally {
        process.off('SIGINT', stop);
        db.close();
      }
    });
}
