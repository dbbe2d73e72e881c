// Confirms a family tree's decoder-cosine links by activation: on tokens where a parent latent
// fires, how often each of its children fires too. Contexts are run one at a time, each alone.
import { tf } from '../engine/backend.js';
import type { Gpt2 } from '../model/gpt2.js';
import type { SaeRunner } from '../sae/inference.js';
import { parseHookName } from '../../src-shared/hooks.js';

export interface LatentOf {
  sae: SaeRunner;
  latent: number;
}

/**
 * Per child, #(tokens where parent and child fire) ÷ #(tokens where the parent fires), over
 * `contexts` (token ids as fed); null when the parent fires on none of them. All SAEs must read the
 * same hook site, as a family's do.
 */
export function cooccurrence(model: Gpt2, parent: LatentOf, children: LatentOf[], contexts: number[][]): Array<number | null> {
  const site = parseHookName(parent.sae.spec.hookName, model.config.nLayer).name;
  for (const child of children) {
    if (child.sae.spec.hookName !== site) throw new Error(`co-occurrence needs SAEs on one site: the parent reads ${site}, a child ${child.sae.spec.hookName}`);
  }
  let parentFires = 0;
  const both = children.map(() => 0);
  for (const ids of contexts) {
    const [p, c] = tf.tidy(() => {
      const { cache } = model.run(tf.tensor2d([ids], [1, ids.length], 'int32'), { cache: [site], stopAt: site });
      const x = cache.get(site)!.reshape([ids.length, -1]) as tf.Tensor2D; // [pos, d_in]
      const column = (l: LatentOf) => l.sae.encode(x).slice([0, l.latent], [ids.length, 1]).reshape([ids.length]).dataSync(); // [pos]
      return [column(parent), children.map(column)] as const;
    });
    p.forEach((v, t) => {
      if (v <= 0) return;
      parentFires++;
      c.forEach((acts, j) => acts[t]! > 0 && both[j]!++);
    });
  }
  return both.map((n) => (parentFires === 0 ? null : n / parentFires));
}
