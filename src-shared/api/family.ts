// Family domain of the API contract: a latent's family tree across the sizes of its SAE family
// (feature splitting), by decoder cosine, each link checked by activation co-occurrence; and a
// latent's counterparts across a comparable set by activation correlation.
import type { ContextExample } from './features.js';

export interface FamilyTreeParams {
  model: string;
  sae: string;
  latent: number;
  /** Smallest decoder cosine that links a child to its parent; default 0.5. */
  minCosine?: number;
}

export interface FamilyTreeNode {
  sae: string;
  latent: number;
  dSae: number;
  /** Decoder cosine with its parent in the tree (1 for the latent asked about). */
  cosine: number;
  /**
   * Of the tokens in the parent's top contexts where the parent fires, the fraction where this
   * latent fires too; null with no parent, or when the parent fired on none of them.
   */
  cooccurrence: number | null;
  /** From the feature database; null when this SAE has not been harvested. */
  density: number | null;
  /** The tokens its top contexts peak on, strongest first. */
  topTokens: string[];
  children: FamilyTreeNode[];
}

export interface FamilyTree {
  /** Ancestors from the next smaller size down to the smallest; their `children` are empty. */
  ancestors: FamilyTreeNode[];
  /** The latent asked about, with its descendants in the larger sizes. */
  root: FamilyTreeNode;
  minCosine: number;
}

/**
 * A latent's counterparts in the other members of its comparable set, by activation correlation on
 * the same tokens (a checkpoints set: each member reads its own checkpoint of the model, so decoder
 * directions cannot be compared). For a feature of the final model, its counterparts at every
 * earlier checkpoint; for one of an earlier checkpoint, its counterparts in the final model.
 */
export interface FamilyCounterpartsParams {
  model: string;
  sae: string;
  latent: number;
  /** Correlation at or above which a latent counts as present in the other member; default 0.7. */
  threshold?: number;
  /** Counterparts listed per member, best first; default 3. */
  limit?: number;
}

export interface CounterpartFeature {
  /** SaeEntry id of the member. */
  sae: string;
  latent: number;
  /** Pearson correlation of its activations with the asked latent's on the matching tokens; null for the asked latent itself. */
  correlation: number | null;
  /** From the feature database; null when the latent has no statistics. */
  density: number | null;
  /** Its strongest top contexts (at most 3). */
  top: ContextExample[];
}

export interface CounterpartMember {
  sae: string;
  /** The member's name in the set ("step-74", "final"). */
  label: string;
  /** ModelEntry id of the member's model (the checkpoint). */
  model: string;
  /** Tokens the correlations with this member were measured on; null when the pair was never matched. */
  tokens: number | null;
  /**
   * Of the final model's latents, the share whose best counterpart in this member reaches the
   * threshold (for the final member itself: null) — "already present at this checkpoint".
   */
  sharePresent: number | null;
  counterparts: CounterpartFeature[];
}

export interface FamilyCounterparts {
  /** Family (set) folder name under saes/. */
  family: string;
  kind: 'sizes' | 'checkpoints';
  threshold: number;
  feature: CounterpartFeature;
  /** Every member of the set in its order (earliest checkpoint first, final last), the asked one included with no counterparts. */
  members: CounterpartMember[];
}
