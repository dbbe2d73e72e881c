// family.page: one family as a page — each member's train figures, training curve and tokens to
// convergence (family.json), eval figures (eval.json), which feature databases hold it, and for a
// family of sizes the scaling fit of eval FVU against d_sae. Whatever is missing is listed with the
// way to get it, so a family trained before curves were recorded, or imported, still has a page.
import path from 'node:path';
import { ApiError } from '../../../src-shared/api.js';
import type { FamilyMemberHarvest, FamilyPage, FamilyPageMember, FamilyPageParams } from '../../../src-shared/api.js';
import type { HandlerContext } from '../handler.js';
import { ENTRY_NAME, readParams } from '../params.js';
import { scanWorkspace } from '../workspace/scan.js';
import { requireFamily } from './lookup.js';

const METHOD = 'family.page';

export async function familyPage(params: unknown, ctx: HandlerContext): Promise<FamilyPage> {
  const p = readParams<FamilyPageParams>(METHOD, params, { family: { type: 'string', ...ENTRY_NAME } });
  const folder = requireFamily(ctx.workspace, METHOD, p.family);
  const listing = scanWorkspace(ctx.workspace, ctx.warn);
  const family = listing.families.find((f) => f.id === p.family);
  if (!family) throw new ApiError('bad_request', `${METHOD}: "${p.family}" in ${ctx.workspace.dir('saes')} is not a family (a folder of SAE folders); open a lone SAE from the SAEs table instead`);
  const missing: string[] = [];

  const { readFamilyRecord } = await import('../../train/family-record.js');
  let record: ReturnType<typeof readFamilyRecord> | null = null;
  try {
    record = readFamilyRecord(folder);
  } catch (err) {
    missing.push(`No training record: ${(err as Error).message}.`);
  }

  const harvests = await harvestStatus(ctx, listing.databases, missing);
  const saePaths = family.saes.map((id) => path.resolve(listing.saes.find((s) => s.id === id)!.path));
  const shares = family.kind === 'checkpoints' ? await sharesPresent(ctx, listing.databases, saePaths) : saePaths.map(() => null);
  const members = family.saes.map((id, i): FamilyPageMember => {
    const sae = listing.saes.find((s) => s.id === id)!;
    const recorded = record?.members.find((m) => m.path === path.resolve(sae.path));
    return {
      sae: id,
      label: family.labels[i]!,
      dSae: sae.dSae,
      architecture: sae.architecture,
      k: sae.k,
      model: family.models[i]!,
      train: recorded?.train ?? null,
      evaluation: sae.evaluation,
      curve: recorded?.history ?? null,
      convergence: recorded?.convergence ?? null,
      harvest: harvests.map((h) => ({ database: h.database, status: h.status.get(path.resolve(sae.path)) ?? null })),
      sharePresent: shares[i]!,
    };
  });

  const labels = (list: FamilyPageMember[]) => list.map((m) => m.label).join(', ');
  const noCurve = members.filter((m) => m.curve === null);
  if (record && noCurve.length > 0) {
    missing.push(
      `No training curves for ${labels(noCurve)}: family.json was written before training recorded them, or the SAEs were imported. ` +
        'Train the family again (Train screen, or sae-explorer train … --out DIR) to record train FVU, L0 and dead fraction against tokens, and tokens to convergence.',
    );
  }
  const noEval = members.filter((m) => m.evaluation === null);
  if (noEval.length > 0) missing.push(`No eval figures for ${labels(noEval)}: evaluate them (SAEs table ▸ Evaluate…, or sae-explorer sae eval --save).`);
  const unharvested = members.filter((m) => !m.harvest.some((h) => h.status === 'complete'));
  if (unharvested.length > 0) missing.push(`Not harvested: ${labels(unharvested)}. Harvest + UMAP on this page (or sae-explorer harvest) stores their features for the features list, the map and the family tree.`);

  let scaling: FamilyPage['scaling'] = null;
  if (family.kind === 'sizes') {
    const { fitConvergence, fitPowerLaw } = await import('../../train/scaling.js');
    const points = members.filter((m) => m.evaluation && m.evaluation.evalFvu > 0).map((m) => ({ dSae: m.dSae, evalFvu: m.evaluation!.evalFvu }));
    const result = fitPowerLaw(points);
    const convergence = fitConvergence(members.flatMap((m) => (m.convergence ? [{ dSae: m.dSae, ...m.convergence }] : [])));
    scaling = { points, fit: result.fit, reason: result.fit ? null : result.reason, convergenceFit: convergence.fit, convergenceReason: convergence.fit ? null : convergence.reason };
  }
  const { TOKENS_TO_CONVERGENCE_DEFINITION } = await import('../../train/convergence.js');
  return { family, trainingTokens: record?.tokens ?? null, members, scaling, missing, convergenceDefinition: TOKENS_TO_CONVERGENCE_DEFINITION };
}

/**
 * A checkpoints set's "already present" figure per member (the last, final, member: null), from the
 * first database in which the final member was matched against the others; all null when none was.
 * Databases that cannot be read are left to harvestStatus to report.
 */
async function sharesPresent(ctx: HandlerContext, databases: Array<{ path: string }>, saePaths: string[]): Promise<Array<number | null>> {
  const { storedSharePresent } = await import('../../features/counterparts.js');
  const none = saePaths.map(() => null);
  for (const entry of databases) {
    try {
      const db = await ctx.resources.database(entry.path);
      const ids = saePaths.map((dir) => (db.prepare(`SELECT id FROM saes WHERE path = ?`).get(dir) as { id: number } | undefined)?.id);
      const final = ids[ids.length - 1];
      if (final === undefined) continue;
      const shares = ids.map((id, i) => (i === ids.length - 1 || id === undefined ? null : storedSharePresent(db, final, id)));
      if (shares.some((share) => share !== null)) return shares;
    } catch {
      continue;
    }
  }
  return none;
}

/** Per database, each harvested SAE folder's status; a database that cannot be read is reported, not fatal. */
async function harvestStatus(ctx: HandlerContext, databases: Array<{ id: string; path: string }>, missing: string[]): Promise<Array<{ database: string; status: Map<string, FamilyMemberHarvest['status']> }>> {
  const { listSaes } = await import('../../store/queries.js');
  const out: Array<{ database: string; status: Map<string, FamilyMemberHarvest['status']> }> = [];
  for (const db of databases) {
    try {
      const rows = listSaes(await ctx.resources.database(db.path));
      out.push({ database: db.id, status: new Map(rows.map((r) => [path.resolve(r.path), r.harvest])) });
    } catch (err) {
      missing.push(`Feature database ${db.id} could not be read (${(err as Error).message}); its harvest status is not shown.`);
      out.push({ database: db.id, status: new Map() });
    }
  }
  return out;
}
