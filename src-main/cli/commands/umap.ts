// `sae-explorer umap`: 2-D and 3-D UMAP coordinates of all latents of a family (jointly) or one SAE,
// by the cosine of their decoder directions or of their activation profiles (--basis).
import type { Command } from 'commander';
import type { MapBasis } from '../../../src-shared/api.js';

interface UmapFlags {
  db: string;
  family?: string;
  sae?: string;
  basis: string;
  seed?: string;
  json?: boolean;
}

const BASES: readonly MapBasis[] = ['decoder', 'activation'];

const BASIS_TEXT: Record<MapBasis, string> = {
  decoder: 'cosine of decoder directions',
  activation: "cosine of activation profiles over the harvest's tokens",
};

export function register(program: Command): void {
  program
    .command('umap')
    .description('compute UMAP coordinates (2-D and 3-D) of a harvested family or SAE, by the cosine of decoder rows or of activation profiles')
    .requiredOption('--db <file>', 'feature database')
    .option('--family <id>', 'family id, name or folder: all its sizes on one map')
    .option('--sae <dir-or-id>', 'one SAE (folder or id)')
    .option('--basis <basis>', "what latents are compared by: decoder (decoder directions) or activation (where they fire, from the harvest's random-projected activation profiles; latents that never fired are left off)", 'decoder')
    .option('--seed <n>', 'layout seed', '0')
    .option('--json', 'print a JSON summary on stdout')
    .action(async (flags: UmapFlags) => {
      if (!/^\d+$/.test(flags.seed ?? '0')) throw new Error(`--seed must be a non-negative integer, got "${flags.seed}"`);
      if (!BASES.includes(flags.basis as MapBasis)) throw new Error(`--basis must be ${BASES.join(' or ')}, got "${flags.basis}"`);
      const basis = flags.basis as MapBasis;
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
        process.stderr.write(`umap: basis ${basis} (${BASIS_TEXT[basis]})\n`);
        const { points, unplaced } = await runUmap(db, saes, basis, { seed: Number(flags.seed ?? 0) }, (stage) => {
          if (stage !== lastStage) process.stderr.write(`umap: ${stage === 'knn' ? 'neighbour graph' : '2-D and 3-D layouts'}…\n`);
          lastStage = stage;
        }, controller.signal);
        const seconds = (performance.now() - started) / 1000;
        if (flags.json) process.stdout.write(`${JSON.stringify({ basis, points, unplaced, seconds, saes: saes.map((s) => ({ id: s.id, d_sae: s.dSae, path: s.path })) })}\n`);
        else if (points === 0) process.stdout.write(`no ${basis} map: fewer than 3 of the ${unplaced} latents fired on the harvest's tokens\n`);
        else {
          const left = unplaced > 0 ? `; ${unplaced} never fired on the harvest's tokens and are left off this map` : '';
          process.stdout.write(`UMAP (${basis} basis) of ${points} latents (${saes.map((s) => s.dSae).join(' + ')}) in ${seconds.toFixed(1)} s${left}\n`);
        }
      } finally {
        process.off('SIGINT', stop);
        db.close();
      }
    });
}
