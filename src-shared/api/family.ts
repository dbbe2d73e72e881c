// Family domain of the API contract: a latent's family tree across the sizes of its SAE family
// (feature splitting), by decoder cosine, each link checked by activation co-occurrence.

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
