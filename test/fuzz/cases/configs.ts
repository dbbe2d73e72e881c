// Malformed config.json (GPT-2, loaded by the real model loader) and cfg.json (SAELens, through the
// real SAE import): each key missing or of a wrong type or size, and whole files that are not configs.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadGpt2 } from '../../../src-main/model/load.js';
import { importSae } from '../../../src-main/sae/formats/detect.js';
import type { Fixtures } from '../fixtures.js';
import { expectAccepted, expectClearError, type FuzzCase } from '../judge.js';
import type { Category } from '../harness.js';

/** Values no config field should take silently: wrong types, signs, fractions and absurd sizes. */
const NASTY_VALUES: unknown[] = [null, '12', -1, 0, 1.5, 2 ** 31, 1e15, 1e308, [], {}, true, 'x'.repeat(10_000)];

/** Whole files that are no config at all. */
const NASTY_FILES: Array<[string, string | Buffer]> = [
  ['empty file', ''],
  ['not JSON', 'n_layer = 12'],
  ['a JSON array', '[1, 2]'],
  ['JSON null', 'null'],
  ['cut mid-object', '{"n_layer": 2, "n_embd":'],
  ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d])],
  ['nested 100,000 deep', `{"x": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`],
  ['binary', Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 73) % 256))],
];

/**
 * `json` with the key at `keyPath` (dot-separated) set to `value`, or removed when `value` is
 * undefined; unchanged when a parent on the path is no longer an object (another pick replaced it).
 */
function withValue(json: Record<string, unknown>, keyPath: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(json);
  const keys = keyPath.split('.');
  let node = copy;
  for (const key of keys.slice(0, -1)) {
    const child = node[key];
    if (typeof child !== 'object' || child === null || Array.isArray(child)) return copy;
    node = child as Record<string, unknown>;
  }
  if (value === undefined) delete node[keys.at(-1)!];
  else node[keys.at(-1)!] = value;
  return copy;
}

function configCases(options: {
  category: Category;
  /** Prefix of the case names, when a category fuzzes more than one kind of file. */
  label?: string;
  file: string;
  sourceDir: () => string;
  keys: string[];
  load: (dir: string) => Promise<unknown>;
  fx: Fixtures;
  random: () => number;
  randomCount: number;
}): FuzzCase[] {
  const { category, file, fx } = options;
  const cases: FuzzCase[] = [];
  const original = () => JSON.parse(readFileSync(path.join(options.sourceDir(), file), 'utf8')) as Record<string, unknown>;
  const add = (name: string, contents: () => string | Buffer, mayAccept: boolean) =>
    cases.push({
      category,
      name: options.label ? `${options.label}: ${name}` : name,
      run: async () => {
        const dir = fx.variant(options.sourceDir(), file, contents(), category);
        try {
          return await expectClearError(dir, () => options.load(dir), mayAccept);
        } finally {
          fx.clean(dir);
        }
      },
    });
  cases.push({
    category,
    name: `${options.label ? `${options.label}: ` : ''}control: the unchanged folder`,
    run: () => expectAccepted(() => options.load(options.sourceDir())),
  });
  for (const [name, contents] of NASTY_FILES) add(name, () => contents, false);
  for (const key of options.keys) {
    // Some of these are valid (n_inner null, a missing optional key, epsilon 1.5): what must hold is
    // that none crashes, hangs or surfaces a runtime error.
    add(`"${key}" missing`, () => JSON.stringify(withValue(original(), key, undefined)), true);
    for (const value of NASTY_VALUES) {
      const shown = typeof value === 'string' && value.length > 20 ? `"x" × ${value.length}` : JSON.stringify(value);
      add(`"${key}" = ${shown}`, () => JSON.stringify(withValue(original(), key, value)), true);
    }
  }
  // Random: a few keys at once get values from the list, or extra unknown keys appear.
  for (let i = 0; i < options.randomCount; i++) {
    const picks = options.keys.filter(() => options.random() < 0.3).map((key) => [key, NASTY_VALUES[Math.floor(options.random() * NASTY_VALUES.length)]] as const);
    add(`random: ${picks.map(([k, v]) => `${k}=${JSON.stringify(v)?.slice(0, 20)}`).join(', ') || 'unchanged'}`, () => {
      let json = original();
      for (const [key, value] of picks) json = withValue(json, key, value);
      return JSON.stringify(json);
    }, true);
  }
  return cases;
}

export function modelConfigCases(fx: Fixtures, random: () => number, randomCount: number): FuzzCase[] {
  return configCases({
    category: 'model-config',
    file: 'config.json',
    sourceDir: () => fx.modelDir(),
    keys: ['n_layer', 'n_embd', 'n_head', 'n_positions', 'n_ctx', 'vocab_size', 'n_inner', 'layer_norm_epsilon', 'activation_function', 'bos_token_id', 'model_type'],
    load: async (dir) => (await loadGpt2(dir)).dispose(),
    fx,
    random,
    randomCount,
  });
}

export function saeConfigCases(fx: Fixtures, random: () => number, randomCount: number): FuzzCase[] {
  const sparsify = configCases({
    category: 'sae-config',
    label: 'sparsify',
    file: 'cfg.json',
    sourceDir: () => fx.sparsifyDir(),
    keys: ['d_in', 'num_latents', 'expansion_factor', 'k', 'activation', 'transcode', 'skip_connection'],
    // The scratch folder's name is no sparsify hookpoint, so the hook is given as `import-sae --hook` would.
    load: (dir) => importSae(dir, { model: { nEmbd: 16, nLayer: 2 }, hook: 'blocks.1.hook_resid_post' }),
    fx,
    random,
    randomCount: Math.ceil(randomCount / 2),
  });
  const saelens = configCases({
    category: 'sae-config',
    label: 'saelens',
    file: 'cfg.json',
    sourceDir: () => fx.saeDir(),
    keys: ['d_in', 'd_sae', 'k', 'architecture', 'apply_b_dec_to_input', 'normalize_activations', 'metadata', 'metadata.hook_name', 'metadata.context_size', 'metadata.model_name', 'metadata.prepend_bos'],
    // With the model the SAE is for, so the hook and d_in are checked against it as the app does.
    load: (dir) => importSae(dir, { model: { nEmbd: 16, nLayer: 2 } }),
    fx,
    random,
    randomCount: randomCount - Math.ceil(randomCount / 2),
  });
  return [...saelens, ...sparsify];
}
