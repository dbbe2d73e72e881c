// family.counterparts: a latent's counterparts across its checkpoints set, as the set's harvest
// matched them by activation correlation on the same tokens (src-main/features/set-harvest.ts), each
// with its density and top contexts, and per checkpoint the share of the final model's latents
// already present there.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ApiError } from '../../../src-shared/api.js';
import type { CounterpartFeature, CounterpartMember, FamilyCounterparts, FamilyCounterpartsParams } from '../../../src-shared/api.js';
import type { ComparableSet } from '../../features/comparable-set.js';
import type { SaeInfo } from '../../store/queries.js';
import type { HandlerContext } from '../handler.js';
import { ENTRY_NAME, SAE_ID, readParams } from '../params.js';
import { contextExample } from './feature-views.js';
import { requireDatabase, requireModel, requireSae } from './lookup.js';

const METHOD = 'family.counterparts';
/** Top contexts shown per latent, side by side. */
const CONTEXTS = 3;

export async function familyCounterparts(params: unknown, ctx: HandlerContext): Promise<FamilyCounterparts> {
  const p = readParams<FamilyCounterpartsParams>(METHOD, params, {
    model: { type: 'string', ...ENTRY_NAME },
    sae: { type: 'string', ...SAE_ID },
    latent: { type: 'integer', min: 0 },
    threshold: { type: 'number', optional: true, min: 0, max: 1 },
    limit: { type: 'integer', optional: true, min: 1, max: 10 },
  });
  const modelFolder = requireModel(ctx.workspace, METHOD, p.model);
  const saeFolder = requireSae(ctx.workspace, METHOD, p.sae);
  const setDir = path.dirname(saeFolder);
  const { SET_FILE, readSetFile } = await import('../../features/comparable-set.js');
  if (!existsSync(path.join(setDir, SET_FILE))) throw new ApiError('bad_request', `${METHOD}: SAE "${p.sae}" is not part of a set (no ${SET_FILE} in ${setDir})`);
  let set: ComparableSet;
  try {
    set = readSetFile(setDir);
  } catch (err) {
    throw new ApiError('bad_request', `${METHOD}: ${(err as Error).message}`);
  }
  if (set.kind !== 'checkpoints') {
    throw new ApiError('bad_request', `${METHOD}: "${p.sae}" is in a set of ${set.kind}, whose members share one model and are compared by decoder cosine: see its relatives and family.tree`);
  }
  const asked = set.members.findIndex((m) => m.path === saeFolder);
  if (asked < 0) throw new ApiError('bad_request', `${METHOD}: SAE "${p.sae}" is not listed in ${path.join(setDir, SET_FILE)}`);

  const db = await ctx.resources.database(requireDatabase(ctx.workspace, METHOD));
  const { counterparts, featurePage, matchSummary, resolveSae } = await import('../../store/queries.js');
  const stored: SaeInfo[] = set.members.map((m) => {
    try {
      return resolveSae(db, m.path);
    } catch {
      throw new ApiError('not_found', `${METHOD}: member "${m.label}" of ${path.basename(setDir)} is not in the feature database; harvest the set first`);
    }
  });
  if (p.latent >= stored[asked]!.dSae) throw new ApiError('bad_request', `${METHOD}: latent ${p.latent} is out of range: ${p.sae} has latents 0..${stored[asked]!.dSae - 1}`);

  const tokenizer = await ctx.resources.tokenizer(modelFolder);
  const text = (id: number) => tokenizer.displayToken(id);
  const saeId = (i: number) => `${path.basename(setDir)}/${path.basename(set.members[i]!.path)}`;
  const view = (i: number, latent: number, correlation: number | null): CounterpartFeature => {
    try {
      const page = featurePage(db, stored[i]!.id, latent);
      return { sae: saeId(i), latent, correlation, density: page.density, top: page.top.slice(0, CONTEXTS).map((c) => contextExample(c, text)) };
    } catch {
      return { sae: saeId(i), latent, correlation, density: null, top: [] };
    }
  };
  // A member's model as the app names it: its ModelEntry id when the workspace has it, else the asked model (same tokenizer).
  const modelOf = (i: number): string => {
    const id = set.members[i]!.model;
    return id !== null && ENTRY_NAME.pattern.test(id) && ctx.workspace.entry(METHOD, 'models', id).state === 'present' ? id : p.model;
  };
  const { PRESENT_AT, storedSharePresent } = await import('../../features/counterparts.js');
  const threshold = p.threshold ?? PRESENT_AT;
  const final = set.members.length - 1;
  const members = set.members.map((m, i): CounterpartMember => {
    const summary = i === final ? null : matchSummary(db, stored[final]!.id, stored[i]!.id, threshold);
    const found = i === asked ? [] : counterparts(db, stored[asked]!.id, p.latent, stored[i]!.id).slice(0, p.limit ?? 3);
    return {
      sae: saeId(i),
      label: m.label,
      model: modelOf(i),
      tokens: summary?.tokens ?? null,
      sharePresent: i === final ? null : storedSharePresent(db, stored[final]!.id, stored[i]!.id, threshold),
      counterparts: found.map((c) => view(i, c.latent, c.correlation)),
    };
  });
  return { family: path.basename(setDir), kind: set.kind, threshold, feature: view(asked, p.latent, null), members };
}
