// Family domain of the API contract: a latent's family tree across the sizes of its SAE family
// (feature splitting), by decoder cosine, each link checked by activation co-occurrence; a latent's
// counterparts across a comparable set by activation correlation; and a family's page.
import type { ContextExample } from './features.js';
import type { SaeEvaluation } from './saes.js';
import type { FamilyEntry } from './workspace.js';

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

/** One family's page: its members with their figures, where they are harvested, and its scaling. */
export interface FamilyPageParams {
  /** FamilyEntry id (folder under saes/). */
  family: string;
}

/** A member's training curve from family.json: parallel arrays, one entry per recorded point. */
export interface FamilyCurve {
  /** Training tokens seen at each point. */
  tokens: number[];
  /** Train FVU (normalised inputs), mean over the point's steps. */
  trainFvu: number[];
  l0: number[];
  /** Null for a size without a dead fraction of its own (a Matryoshka prefix). */
  deadFrac: number[] | null;
}

export interface FamilyMemberHarvest {
  /** DatabaseEntry id. */
  database: string;
  /** 'complete', 'running' (started, not finished), or null: not in this database. */
  status: 'complete' | 'running' | null;
}

export interface FamilyPageMember {
  /** SaeEntry id. */
  sae: string;
  /** The member's name in the set: d_sae for sizes, the checkpoint for a checkpoints set. */
  label: string;
  dSae: number;
  architecture: string;
  k: number | null;
  /** ModelEntry id of the member's model. */
  model: string;
  /** Final training figures from family.json; null when it records none (imports, older files). */
  train: { trainFvu: number | null; l0: number | null; deadFrac: number | null } | null;
  /** The member's eval.json. */
  evaluation: SaeEvaluation | null;
  /** Null when family.json holds no training curve (trained before curves were recorded, or imported). */
  curve: FamilyCurve | null;
  /** Tokens to convergence (definition in FamilyPage.definitions); null without a curve of ≥ 5 points. */
  convergence: { tokens: number; converged: boolean } | null;
  /** One entry per feature database of the workspace, in the listing's order. */
  harvest: FamilyMemberHarvest[];
  /**
   * In a checkpoints set, of the final member's latents the share whose best counterpart in this
   * member reaches r ≥ 0.7 (PRESENT_AT) — final features already present at this checkpoint — from
   * the first feature database that matched them; null for the final member, a set of sizes, or a
   * set not matched yet.
   */
  sharePresent: number | null;
}

export interface FamilyScaling {
  /** Sizes with an eval FVU, ascending. */
  points: Array<{ dSae: number; evalFvu: number }>;
  /** Least squares of log eval FVU on log d_sae: FVU = coefficient · n^(−exponent); null with fewer than 3 sizes. */
  fit: { exponent: number; coefficient: number; r2: number } | null;
  /** Why there is no fit; null when there is one. */
  reason: string | null;
  /** Tokens to convergence = coefficient · n^exponent over the sizes that converged within their run; null with fewer than 3 (see convergenceReason). */
  convergenceFit: { exponent: number; coefficient: number; r2: number } | null;
  convergenceReason: string | null;
}

export interface FamilyPage {
  family: FamilyEntry;
  /** Training tokens of the run, from family.json; null when it does not say. */
  trainingTokens: number | null;
  members: FamilyPageMember[];
  /** Eval FVU against size; null for a checkpoints set, whose members do not differ in size. */
  scaling: FamilyScaling | null;
  /** What the page cannot show yet, each with how to get it. */
  missing: string[];
  /** How tokens to convergence is defined. */
  convergenceDefinition: string;
}

export interface FamilySplittingParams {
  /** FamilyEntry id of a family of sizes. */
  family: string;
  /** Smallest decoder cosine that links a latent to its parent in the next smaller size; default 0.5 (the family tree's). */
  minCosine?: number;
}

/** How the latents of one size carry over to the next larger one (src-main/features/splitting-stats.ts). */
export interface FamilySplittingPair {
  /** SaeEntry ids and d_sae of the smaller and the larger size. */
  small: string;
  large: string;
  smallSize: number;
  largeSize: number;
  /** Latents of the smaller size with exactly one child, two or more, none. */
  kept: number;
  split: number;
  none: number;
  /** Children of a split latent, on average. */
  meanSplitChildren: number;
  /** Latents of the larger size whose closest smaller latent is below minCosine. */
  newInLarge: number;
  /** Median over the larger size of the cosine to its closest smaller latent. */
  medianParentCosine: number;
}

/** The CLI's `sae-explorer splitting` for a family of the workspace. */
export interface FamilySplitting {
  family: string;
  minCosine: number;
  pairs: FamilySplittingPair[];
}

