// TransformerLens hook-point names for GPT-2, derived in one place from the model's depth.
// Every other module takes a HookName from here; nobody spells a hook name by hand.

/** Hook points inside block L, in the order the forward pass reaches them. */
export const BLOCK_HOOKS = [
  'hook_resid_pre',
  'ln1.hook_normalized',
  'attn.hook_pattern',
  'hook_attn_out',
  'hook_resid_mid',
  'mlp.hook_post',
  'hook_mlp_out',
  'hook_resid_post',
] as const;

export type BlockHook = (typeof BLOCK_HOOKS)[number];
export type BlockHookName = `blocks.${number}.${BlockHook}`;
export type HookName = 'hook_embed' | 'hook_pos_embed' | BlockHookName | 'ln_final.hook_normalized';

/** Where a hook sits: `layer` is -1 before block 0 and nLayers after the last block. */
export interface HookSite {
  name: HookName;
  layer: number;
  /** Position within the layer's hook order, for sorting. */
  order: number;
  kind: 'embed' | 'pos_embed' | BlockHook | 'ln_final';
}

/** All hook names of a model with `nLayers` blocks, in forward order. */
export function hookNames(nLayers: number): HookName[] {
  const names: HookName[] = ['hook_embed', 'hook_pos_embed'];
  for (let layer = 0; layer < nLayers; layer++) {
    for (const hook of BLOCK_HOOKS) names.push(`blocks.${layer}.${hook}`);
  }
  names.push('ln_final.hook_normalized');
  return names;
}

export function blockHook(layer: number, hook: BlockHook): HookName {
  return `blocks.${layer}.${hook}`;
}

/**
 * Parses and validates a hook name against a model depth. Throws an error naming the hook and the
 * valid forms when it is not one of this model's hook points.
 */
export function parseHookName(name: string, nLayers: number): HookSite {
  if (name === 'hook_embed') return { name, layer: -1, order: 0, kind: 'embed' };
  if (name === 'hook_pos_embed') return { name, layer: -1, order: 1, kind: 'pos_embed' };
  if (name === 'ln_final.hook_normalized') return { name, layer: nLayers, order: 0, kind: 'ln_final' };
  const match = /^blocks\.(\d+)\.(.+)$/.exec(name);
  const hook = match?.[2] as BlockHook | undefined;
  const order = hook ? BLOCK_HOOKS.indexOf(hook) : -1;
  if (!match || order < 0) {
    throw new Error(
      `unknown hook name "${name}": expected hook_embed, hook_pos_embed, ln_final.hook_normalized or ` +
        `blocks.<layer>.<${BLOCK_HOOKS.join('|')}>`,
    );
  }
  const layer = Number(match[1]);
  if (layer >= nLayers) {
    throw new Error(`hook "${name}" names layer ${layer}, but the model has layers 0..${nLayers - 1}`);
  }
  return { name: name as HookName, layer, order, kind: hook! };
}

/** The last block a forward pass must run to produce this hook (for stop-at-layer). */
export function lastLayerNeeded(site: HookSite, nLayers: number): number {
  if (site.layer < 0) return -1;
  return Math.min(site.layer, nLayers);
}
