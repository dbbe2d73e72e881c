// family.splitting: the CLI's `sae-explorer splitting` for a family of the workspace — per pair of
// neighbouring sizes, the share of latents kept, split or without counterpart, by the family tree's
// decoder-cosine rule. A request, not a job: it is one blocked product of decoders per pair, bounded
// here so that it answers in seconds; a larger family is the CLI's.
import { ApiError } from '../../../src-shared/api.js';
import type { FamilySplitting, FamilySplittingParams } from '../../../src-shared/api.js';
import type { HandlerContext } from '../handler.js';
import { ENTRY_NAME, readParams } from '../params.js';
import { scanWorkspace } from '../workspace/scan.js';
import { requireFamily } from './lookup.js';

const METHOD = 'family.splitting';
/** Multiply-adds of the cosine products one request may do: ~10 s on one wasm core. */
export const MAX_SPLITTING_COST = 2e11;

export async function familySplitting(params: unknown, ctx: HandlerContext): Promise<FamilySplitting> {
  const p = readParams<FamilySplittingParams>(METHOD, params, {
    family: { type: 'string', ...ENTRY_NAME },
    minCosine: { type: 'number', optional: true, min: 0, max: 1 },
  });
  requireFamily(ctx.workspace, METHOD, p.family);
  const listing = scanWorkspace(ctx.workspace, ctx.warn);
  const family = listing.families.find((f) => f.id === p.family);
  if (!family) throw new ApiError('bad_request', `${METHOD}: "${p.family}" in ${ctx.workspace.dir('saes')} is not a family (a folder of SAE folders)`);
  if (family.kind !== 'sizes') throw new ApiError('bad_request', `${METHOD}: "${p.family}" is a ${family.kind} set, whose members live in different bases: decoder cosines between them mean nothing`);
  if (family.saes.length < 2) throw new ApiError('bad_request', `${METHOD}: "${p.family}" has one size; splitting compares neighbouring sizes`);
  const members = family.saes.map((id) => listing.saes.find((s) => s.id === id)!);
  const dIn = members[0]!.dIn;
  const { loadFamilyLevels, splittingCost, splittingStats } = await import('../../features/splitting-stats.js');
  const cost = splittingCost([...members].sort((a, b) => a.dSae - b.dSae), dIn);
  if (cost > MAX_SPLITTING_COST) {
    throw new ApiError('bad_request', `${METHOD}: "${p.family}" needs ${cost.toExponential(1)} multiply-adds (sizes ${family.sizes.join(', ')} at d_in ${dIn}), more than a request does (${MAX_SPLITTING_COST.toExponential(0)}); run sae-explorer splitting --family ${ctx.workspace.family(p.family)}`);
  }
  await ctx.engine.start();
  const levels = loadFamilyLevels(members.map((m) => ({ sae: m.id, path: m.path })));
  const stats = await splittingStats(levels, { minCosine: p.minCosine });
  const size = (sae: string) => levels.find((l) => l.sae === sae)!.dSae;
  return {
    family: p.family,
    minCosine: stats.minCosine,
    pairs: stats.pairs.map((pair) => ({ ...pair, smallSize: size(pair.small), largeSize: size(pair.large) })),
  };
}
