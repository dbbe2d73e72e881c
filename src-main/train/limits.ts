// The bounds every training request is held to, the CLI's and the app's alike; a module of its own
// so request validation can import it without loading the trainer.

/**
 * Upper bounds of a run's sizes, far above what trains on one machine but low enough that products
 * of them stay exact and a typo is refused before anything is allocated. What a run may really use
 * is the memory check's call (train/memory.ts).
 */
export const TRAIN_LIMITS = {
  /** Latents of one dictionary: 2^24, the size of OpenAI's largest GPT-4 SAE. */
  latents: 2 ** 24,
  /** Dictionary sizes trained together. */
  sizes: 16,
  k: 4096,
  /** Tokens per step. */
  batch: 2 ** 20,
  /** Training tokens: 10^12. */
  tokens: 1e12,
  evalTokens: 2 ** 26,
} as const;
