// Sizes the trainers hold themselves to, in a module without tensors so the training memory
// estimate (src-main/train/memory.ts) can read them before anything loads.

/**
 * Bound on the dense [tokens, latents] blocks a training step holds at once, in elements (64 MB of
 * f32): the sparse trainer's pre-activations per shard, the standard SAE's pre-activations and codes.
 */
export const MAX_DENSE_ELEMENTS = 2 ** 24;
