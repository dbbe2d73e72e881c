// `sae-explorer umap`: 2-D and 3-D UMAP coordinates of all latents of a family (jointly) or one SAE,
// by the cosine of their decoder directions or of their activation profiles (--basis). With --stats
// it lays nothing out and measures both stored bases against chance (features/map-structure.ts).
import type { Command } from 'commander';
import type { MapBasis } from '../../../src-shared/api.js';
import type { Db } from '../../store/open.js';
import type { SaeInfo } from '../../store/queries.js';
import type { ProfileConfig } from '../../features/activation-profile.js';

interface UmapFlags {
  db: string;
  family?: string;
  sae?: string;
  basis: string;
  seed?: string;
  json?: boolean;
  stats?: boolean;
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
    .option('--stats', "lay nothing out: measure both bases' structure (median nearest-neighbour cosine against a baseline without structure, Hopkins statistic of the stored 2-D layout); --seed seeds the baselines and the Hopkins samples")
    .action(async (flags: UmapFlags) => {
      if (!/^\d+$/.test(flags.seed ?? '0')) throw new Error(`--seed must be a non-negative integer, got "${flags.seed}"`);
      if (flags.stats) return printMapStats(flags);
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

/** Points sampled each way for the Hopkins statistic. */
const HOPKINS_SAMPLES = 200;

interface BasisStats {
  basis: MapBasis;
  latents: number;
  dims: number;
  medianNnCosine: number;
  baseline: number;
  ratio: number;
  hopkins2d: number;
}

const BASELINE_TEXT: Record<MapBasis, string> = {
  decoder: 'random Gaussian directions, as many, in d_in',
  activation: "each latent firing on random tokens with its own density and mean activation, projected as the harvest projects",
};

async function printMapStats(flags: UmapFlags): Promise<void> {
  const { openStore } = await import('../../store/open.js');
  const { umapTargets } = await import('../../features/umap-job.js');
  const db = openStore(flags.db, { readonly: true });
  try {
    const saes = umapTargets(db, flags);
    const seed = Number(flags.seed ?? 0);
    const bases = [await decoderStats(db, saes, seed), await activationStats(db, saes, seed)];
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ seed, hopkinsSamples: HOPKINS_SAMPLES, bases: bases.map((b) => ({ ...b, baselineKind: BASELINE_TEXT[b.basis] })) })}\n`);
      return;
    }
    const rows = [['basis', 'latents', 'dims', 'median NN cosine', 'baseline', 'ratio', 'Hopkins 2-D']];
    for (const b of bases) rows.push([b.basis, String(b.latents), String(b.dims), b.medianNnCosine.toFixed(3), b.baseline.toFixed(3), b.ratio.toFixed(2), b.hopkins2d.toFixed(3)]);
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    for (const r of rows) process.stdout.write(`${r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')}\n`);
    process.stdout.write(`baseline: decoder, ${BASELINE_TEXT.decoder}; activation, ${BASELINE_TEXT.activation}.\n`);
    process.stdout.write(`Hopkins (${HOPKINS_SAMPLES} samples): 0.5 for points spread uniformly, towards 1 for clumped ones. Seed ${seed}.\n`);
  } finally {
    db.close();
  }
}

/** The stored 2-D layout of a basis over the SAEs (those with points on it), in their order: [points, 2]. */
async function storedLayout(db: Db, saes: SaeInfo[], basis: MapBasis): Promise<Float32Array> {
  const { mapData } = await import('../../store/queries.js');
  const maps = saes.map((s) => mapData(db, { saeId: s.id }, basis));
  const missing = saes.find((_, i) => maps[i].latent.length === 0);
  if (missing) throw new Error(`SAE ${missing.path} has no ${basis} map stored; run sae-explorer umap --basis ${basis} on it (or its family) first`);
  const xy = new Float32Array(maps.reduce((n, m) => n + m.xy.length, 0)); // [points, 2]
  let offset = 0;
  for (const m of maps) {
    xy.set(m.xy, offset);
    offset += m.xy.length;
  }
  return xy;
}

async function decoderStats(db: Db, saes: SaeInfo[], seed: number): Promise<BasisStats> {
  const { seededRandom } = await import('../../../src-shared/random.js');
  const { decoderRows } = await import('../../features/umap-job.js');
  const ms = await import('../../features/map-structure.js');
  const { vectors: decoder, d: dIn } = decoderRows(saes); // [latents, d_in]
  const n = decoder.length / dIn;
  if (n < ms.MIN_LATENTS) throw new Error(`the decoder basis has ${n} latents; map statistics need at least ${ms.MIN_LATENTS}`);
  const real = ms.medianNearestCosine(decoder, n, dIn);
  const baseline = ms.medianNearestCosine(ms.gaussianDirections(n, dIn, seededRandom(seed)), n, dIn);
  const hopkins2d = ms.hopkins(await storedLayout(db, saes, 'decoder'), HOPKINS_SAMPLES, seededRandom(seed + 2));
  return { basis: 'decoder', latents: n, dims: dIn, medianNnCosine: real, baseline, ratio: real / baseline, hopkins2d };
}

async function activationStats(db: Db, saes: SaeInfo[], seed: number): Promise<BasisStats> {
  const { seededRandom } = await import('../../../src-shared/random.js');
  const { activationRows } = await import('../../features/umap-job.js');
  const ms = await import('../../features/map-structure.js');
  const { points, vectors: profiles, d: dims } = activationRows(db, saes); // [fired latents, dims]
  const n = profiles.length / dims;
  if (n < ms.MIN_LATENTS) throw new Error(`the activation basis has ${n} latents that fired; map statistics need at least ${ms.MIN_LATENTS}`);
  const harvests = saes.map((s) => db.prepare(`SELECT tokens, json_extract(params, '$.profile') AS profile FROM harvests WHERE sae_id = ?`).get(s.id) as { tokens: number; profile: string });
  const config = JSON.parse(harvests[0].profile) as ProfileConfig;
  const stats = db.prepare(`SELECT density, mean_act AS meanAct FROM latents WHERE sae_id = ? AND latent = ?`);
  const firing = points.flatMap((p) => Array.from(p.latents, (latent) => stats.get(p.saeId, latent) as { density: number; meanAct: number }));
  const tokens = Math.min(config.tokens, ...harvests.map((h) => h.tokens));
  const real = ms.medianNearestCosine(profiles, n, dims);
  const baseline = ms.medianNearestCosine(ms.shuffledProfiles(firing, tokens, config, dims, seededRandom(seed + 1)), n, dims);
  const fired = new Set(points.map((p) => p.saeId));
  const hopkins2d = ms.hopkins(await storedLayout(db, saes.filter((s) => fired.has(s.id)), 'activation'), HOPKINS_SAMPLES, seededRandom(seed + 3));
  return { basis: 'activation', latents: n, dims, medianNnCosine: real, baseline, ratio: real / baseline, hopkins2d };
}
