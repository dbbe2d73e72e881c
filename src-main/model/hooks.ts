// Hook points of one forward call. Every call builds its own HookContext from its options, so
// hooks and cached activations never outlive the call that asked for them, even when a hook throws.
import { tf } from '../engine/backend.js';
import { parseHookName, type HookName, type HookSite } from '../../src-shared/hooks.js';

export interface Hook {
  name: HookName;
  /** Reads the activation, or returns a tensor of the same shape to replace it downstream. */
  fn: (activation: tf.Tensor, name: HookName) => tf.Tensor | void;
}

export interface RunOptions {
  hooks?: Hook[];
  /** Activations to return in RunResult.cache: a list of names, or a predicate over every hook reached. */
  cache?: HookName[] | ((name: HookName) => boolean);
  /**
   * Ends the forward pass right after this hook point: later blocks and the unembedding never run
   * and no logits are returned. Hooks on later points are simply not reached.
   */
  stopAt?: HookName;
}

export interface RunResult {
  logits?: tf.Tensor3D; // [batch, pos, vocab]
  /** The activations asked for, as they flowed on (after any replacing hook). The caller disposes them. */
  cache: Map<HookName, tf.Tensor>;
}

/** Thrown at the `stopAt` hook to unwind the forward pass; only Gpt2 catches it. */
export class StopForward extends Error {
  constructor(readonly at: HookName) {
    super(`forward pass stopped at ${at} (internal signal; should never reach the caller)`);
  }
}

const RUN_OPTION_KEYS = ['hooks', 'cache', 'stopAt'];

const before = (a: HookSite, b: HookSite): boolean => a.layer < b.layer || (a.layer === b.layer && a.order < b.order);

export class HookContext {
  readonly cache = new Map<HookName, tf.Tensor>();
  private readonly hooks = new Map<HookName, Hook['fn'][]>();
  private readonly wanted: (name: HookName) => boolean;
  private readonly stopAt?: HookName;

  /** Validates every hook name in `opts` against a model with `nLayers` blocks. */
  constructor(nLayers: number, opts: RunOptions = {}) {
    for (const key of Object.keys(opts)) {
      if (!RUN_OPTION_KEYS.includes(key)) throw new Error(`unknown run option "${key}" (expected ${RUN_OPTION_KEYS.join(', ')})`);
    }
    const parse = (name: string, where: string): HookSite => {
      try {
        return parseHookName(name, nLayers);
      } catch (err) {
        throw new Error(`${where}: ${(err as Error).message}`);
      }
    };
    const stopSite = opts.stopAt === undefined ? undefined : parse(opts.stopAt, 'stopAt');
    this.stopAt = stopSite?.name;
    (opts.hooks ?? []).forEach((hook, i) => {
      const { name } = parse(hook.name, `hooks[${i}]`);
      if (typeof hook.fn !== 'function') throw new Error(`hooks[${i}] (${name}): fn must be a function`);
      this.hooks.set(name, [...(this.hooks.get(name) ?? []), hook.fn]);
    });
    if (typeof opts.cache === 'function') {
      this.wanted = opts.cache;
    } else {
      const names = new Set<HookName>();
      (opts.cache ?? []).forEach((name, i) => {
        const site = parse(name, `cache[${i}]`);
        if (stopSite && before(stopSite, site)) {
          throw new Error(`cache[${i}]: cannot return ${name}, because stopAt ${stopSite.name} ends the forward pass before it`);
        }
        names.add(site.name);
      });
      this.wanted = (name) => names.has(name);
    }
  }

  /**
   * Passes an activation through its hook point: runs the hooks registered there in order, each
   * seeing the previous one's output, caches the result when asked, and stops the pass at `stopAt`.
   */
  point<T extends tf.Tensor>(name: HookName, activation: T): T {
    let value = activation;
    for (const fn of this.hooks.get(name) ?? []) {
      const replaced = fn(value, name);
      if (replaced === undefined) continue;
      if (!(replaced instanceof tf.Tensor)) throw new Error(`hook on ${name} returned ${typeof replaced}; return a tensor or nothing`);
      if (replaced.shape.join() !== value.shape.join()) {
        throw new Error(`hook on ${name} returned shape [${replaced.shape.join(', ')}]; the activation it replaces has shape [${value.shape.join(', ')}]`);
      }
      value = replaced as T;
    }
    // A clone shares the data but has its own lifetime: the caller may dispose one entry of the cache
    // without breaking another that holds the same values (resid_post of L is resid_pre of L+1).
    if (this.wanted(name)) {
      this.cache.get(name)?.dispose();
      this.cache.set(name, tf.keep(value.clone())); // same shape as the activation
    }
    if (name === this.stopAt) throw new StopForward(name);
    return value;
  }

  /** Whether anything sees the activation at `name`: a hook, the cache, or the stop. */
  observes(name: HookName): boolean {
    return this.hooks.has(name) || this.wanted(name) || name === this.stopAt;
  }

  disposeCache(): void {
    tf.dispose([...this.cache.values()]);
    this.cache.clear();
  }
}
