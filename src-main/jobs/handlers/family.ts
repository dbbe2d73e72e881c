// family.tree: a latent's family tree across its SAE family's sizes, each node with its density and
// top tokens from the feature database and each link's activation co-occurrence. family.counterparts
// (family-counterparts.ts): a latent's counterparts across a checkpoints set. family.page
// (family-page.ts): one family's members, figures, curves, harvest status and scaling.
// family.splitting (family-splitting.ts): kept, split and unmatched latents between sizes.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ApiError } from '../../../src-shared/api.js';
import type { FamilyTree, FamilyTreeNode, FamilyTreeParams } from '../../../src-shared/api.js';
import type { LatentOf } from '../../features/cooccurrence.js';
import type { TreeNode } from '../../features/family-tree.js';
import type { SaeRunner } from '../../sae/inference.js';
import type { SaeBundle } from '../../sae/types.js';
import type { DomainHandlers } from '../handler.js';
import { ENTRY_NAME, SAE_ID, readParams } from '../params.js';
import { MAX_SAES } from '../resources.js';
import { familyCounterparts } from './family-counterparts.js';
import { familyPage } from './family-page.js';
import { familySplitting } from './family-splitting.js';
import { saeIdOf } from './feature-views.js';
import { requireDatabase, requireModel, requireSae } from './lookup.js';

/** Top contexts of a parent the co-occurrence of its children is counted on. */
const CONTEXTS = 8;
/** Peak tokens shown per node. */
const TOP_TOKENS = 5;

export const familyHandlers: DomainHandlers<'family'> = {
  'family.tree': async (params, ctx) => {
    const method = 'family.tree';
    const p = readParams<FamilyTreeParams>(method, params, {
      model: { type: 'string', ...ENTRY_NAME },
      sae: { type: 'string', ...SAE_ID },
      latent: { type: 'integer', min: 0 },
      minCosine: { type: 'number', optional: true, min: 0, max: 1 },
    });
    const modelFolder = requireModel(ctx.workspace, method, p.model);
    const familyFolder = path.dirname(requireSae(ctx.workspace, method, p.sae));
    const { SET_FILE: FAMILY_FILE, readSetFile } = await import('../../features/comparable-set.js');
    if (!existsSync(path.join(familyFolder, FAMILY_FILE))) throw new ApiError('bad_request', `${method}: SAE "${p.sae}" is not part of a family (no ${FAMILY_FILE} in ${familyFolder})`);
    let set;
    try {
      set = readSetFile(familyFolder);
    } catch (err) {
      throw new ApiError('bad_request', `${method}: ${(err as Error).message}`);
    }
    if (set.kind !== 'sizes') throw new ApiError('bad_request', `${method}: "${p.sae}" is in a ${set.kind} set, whose members live in different bases: its counterparts are in family.counterparts`);
    const members = set.members.map((m) => m.path);
    // A family of more sizes than the shared cache keeps (the 8-size feature-splitting ladder) gets
    // runners of its own for this request, so the cache never disposes one the tree is still using.
    const cached = members.length <= MAX_SAES;
    const { loadSaeLens } = await import('../../sae/formats/saelens.js');
    const { createSaeRunner } = await import('../../sae/inference.js');
    const load = async (folder: string): Promise<{ bundle: SaeBundle; runner: SaeRunner }> => {
      if (cached) return ctx.resources.sae(folder);
      const bundle = loadSaeLens(folder);
      return { bundle, runner: createSaeRunner(bundle) };
    };
    await ctx.engine.start();
    const saes: Array<{ folder: string; id: string; bundle: SaeBundle; runner: SaeRunner }> = [];
    try {
      for (const folder of members) saes.push({ folder, id: saeIdOf(ctx.workspace, folder), ...(await load(folder)) });
      saes.sort((a, b) => a.bundle.spec.dSae - b.bundle.spec.dSae);
      const level = saes.findIndex((s) => s.id === p.sae);
      if (level < 0) throw new ApiError('bad_request', `${method}: SAE "${p.sae}" is not listed in ${path.join(familyFolder, FAMILY_FILE)}`);
      const minCosine = p.minCosine ?? 0.5;
      const { familyTree } = await import('../../features/family-tree.js');
      let tree;
      try {
        tree = familyTree(saes.map((s) => ({ sae: s.id, dSae: s.bundle.spec.dSae, wDec: s.bundle.weights.W_dec })), level, p.latent, { minCosine });
      } catch (err) {
        throw new ApiError('bad_request', `${method}: ${(err as Error).message}`);
      }

      const db = await ctx.resources.database(requireDatabase(ctx.workspace, method));
      const { featurePage, resolveSae } = await import('../../store/queries.js');
      const tokenizer = await ctx.resources.tokenizer(modelFolder);
      /** Density, peak tokens and the top contexts (as fed, BOS per the SAE) of one latent, when harvested. */
      const stored = (l: number, latent: number) => {
        let page;
        try {
          page = featurePage(db, resolveSae(db, saes[l]!.folder).id, latent);
        } catch {
          return { density: null, topTokens: [], contexts: [] };
        }
        const bos = saes[l]!.bundle.spec.prependBos ? [tokenizer.eotId] : [];
        const peaks = [...new Set(page.top.map((c) => tokenizer.displayToken(c.tokens[c.maxIndex]!)))].slice(0, TOP_TOKENS);
        return { density: page.density, topTokens: peaks, contexts: page.top.slice(0, CONTEXTS).map((c) => [...bos, ...c.tokens]) };
      };

      const { model, release } = await ctx.resources.acquireModel(modelFolder);
      try {
        const { cooccurrence } = await import('../../features/cooccurrence.js');
        const latentOf = (l: number, latent: number): LatentOf => ({ sae: saes[l]!.runner, latent });
        /** How often each child fires where the parent does, on the parent's top contexts. */
        const linked = (l: number, latent: number, children: Array<{ level: number; latent: number }>, contexts: number[][]) =>
          children.length === 0 ? [] : cooccurrence(model, latentOf(l, latent), children.map((c) => latentOf(c.level, c.latent)), contexts);
        const view = (node: TreeNode, co: number | null): FamilyTreeNode => {
          const info = stored(node.level, node.latent);
          const cos = linked(node.level, node.latent, node.children, info.contexts);
          return {
            sae: saes[node.level]!.id,
            latent: node.latent,
            dSae: saes[node.level]!.bundle.spec.dSae,
            cosine: node.cosine,
            cooccurrence: co,
            density: info.density,
            topTokens: info.topTokens,
            children: node.children.map((child, i) => view(child, cos[i] ?? null)),
          };
        };
        // Each ancestor's link is to the latent below it in the chain.
        const ancestors = tree.ancestors.map((a, i): FamilyTreeNode => {
          const info = stored(a.level, a.latent);
          const up = tree.ancestors[i + 1];
          const co = up ? linked(up.level, up.latent, [a], stored(up.level, up.latent).contexts)[0]! : null;
          return { sae: saes[a.level]!.id, latent: a.latent, dSae: saes[a.level]!.bundle.spec.dSae, cosine: a.cosine, cooccurrence: co, density: info.density, topTokens: info.topTokens, children: [] };
        });
        const parent = tree.ancestors[0];
        const rootCo = parent ? linked(parent.level, parent.latent, [{ level, latent: p.latent }], stored(parent.level, parent.latent).contexts)[0]! : null;
        const result: FamilyTree = { ancestors, root: view(tree.root, rootCo), minCosine };
        return result;
      } finally {
        release();
      }
    } finally {
      if (!cached) for (const s of saes) s.runner.dispose();
    }
  },
  'family.counterparts': familyCounterparts,
  'family.page': familyPage,
  'family.splitting': familySplitting,
};
