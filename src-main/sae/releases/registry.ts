// The public GPT-2 small SAE releases, by the names SAELens's registry (pretrained_saes.yaml) gives
// them: which Hub repo holds each, the folder of every SAE in it, the hook it reads, its width, and
// what a user must know before trusting it here. The repos hold ordinary SAELens folders
// (cfg.json + sae_weights.safetensors, often sparsity.safetensors), so no pickle is ever read.
import { blockHook, type BlockHook, type HookName } from '../../../src-shared/hooks.js';
import type { InputNormalization, SaeArchitecture } from '../types.js';

/** GPT-2 small's residual width, which every release's d_sae is a multiple of. */
export const GPT2_SMALL_D_MODEL = 768;
const GPT2_SMALL_LAYERS = Array.from({ length: 12 }, (_, layer) => layer);

export interface ReleaseSae {
  /** SAELens's id of the SAE inside the release, e.g. "blocks.8.hook_resid_pre_768". */
  id: string;
  /** Folder inside the repo holding the SAELens files. */
  folder: string;
  /** Block the hook belongs to: what --layers selects. */
  layer: number;
  hookName: HookName;
  /** Latents at GPT-2 small's width (768); a copy scaled down keeps the ratio d_sae / d_in. */
  dSae: number;
}

export interface SaeRelease {
  /** SAELens's release name, e.g. "gpt2-small-res-jb". */
  name: string;
  /** Hugging Face repo holding one folder per SAE. */
  repoId: string;
  /** The Hub model the SAEs read ("gpt2" is TransformerLens's "gpt2-small"). */
  model: 'gpt2';
  architecture: SaeArchitecture;
  /** Latents kept per token, for top-k releases. */
  k?: number;
  normalizeActivations: InputNormalization;
  /**
   * Trained on TransformerLens's processed GPT-2, whose center_writing_weights makes every write to
   * the residual stream mean-free over d_model; the import folds that centring into the weights.
   */
  centredResidual: boolean;
  /** One line on who trained it and how. */
  summary: string;
  /** What differs from an SAE trained here, in the words the dialog and the CLI show. */
  caveats: string[];
  saes: ReleaseSae[];
}

/** The caveat of the releases trained on TransformerLens's centred residual stream, and what import does about it. */
export const CENTRING_CAVEAT =
  'Trained on TransformerLens\'s processed GPT-2 (center_writing_weights), whose residual stream has zero mean over d_model at every token; ' +
  'this app runs the unprocessed Hugging Face weights. Import folds that centring into the SAE (encoder columns and decoder rows made mean-free, ' +
  'b_enc corrected for the mean of b_dec), so its latents are exactly those SAELens gives on TransformerLens\'s activations. ' +
  'Its reconstructions are centred too: splicing them in changes no logit (every LayerNorm removes the mean), but eval FVU in the raw space counts each token\'s mean as error.';

function perLayer(hook: BlockHook, dSae: number, folder: (layer: number) => string): ReleaseSae[] {
  return GPT2_SMALL_LAYERS.map((layer) => {
    const hookName = blockHook(layer, hook);
    return { id: hookName, folder: folder(layer), layer, hookName, dSae };
  });
}

const OPENAI_SUMMARY = 'OpenAI\'s v5 top-k SAEs (Gao et al. 2024, k = 32), 12 layers, in jbloom\'s SAELens-format mirror';
const OPENAI_CAVEATS = [
  'Inputs pass a parameter-free LayerNorm (normalize_activations layer_norm: subtract the token\'s mean, divide by its std + 1e-5), undone on decode; mean-free inputs make TransformerLens\'s centring irrelevant, so no correction is needed.',
  'Trained on 64-token contexts of OpenWebText; harvesting here uses 64-token windows too.',
];

/** Sites of OpenAI's v5 releases: SAELens release suffix → TransformerLens hook in block L. */
const OPENAI_SITES: Array<{ site: string; hook: BlockHook; what: string }> = [
  { site: 'resid-post', hook: 'hook_resid_post', what: 'the residual stream after each block' },
  { site: 'resid-mid', hook: 'hook_resid_mid', what: 'the residual stream between attention and MLP' },
  { site: 'mlp-out', hook: 'hook_mlp_out', what: 'each MLP\'s output' },
  { site: 'attn-out', hook: 'hook_attn_out', what: 'each attention layer\'s output' },
];

function openAiReleases(): SaeRelease[] {
  const out: SaeRelease[] = [];
  for (const { site, hook, what } of OPENAI_SITES) {
    for (const [size, dSae] of [['32k', 32_768], ['128k', 131_072]] as const) {
      // The 32k resid-post mirror names its folders "v5_32k_layer_L.pt" (folders, not pickles); the others drop ".pt".
      const suffix = site === 'resid-post' && size === '32k' ? '.pt' : '';
      out.push({
        name: `gpt2-small-${site}-v5-${size}`,
        repoId: `jbloom/GPT2-Small-OAI-v5-${size}-${site}-SAEs`,
        model: 'gpt2',
        architecture: 'topk',
        k: 32,
        normalizeActivations: 'layer_norm',
        centredResidual: false,
        summary: `${OPENAI_SUMMARY}, on ${what} (${dSae.toLocaleString('en-US')} latents)`,
        caveats: OPENAI_CAVEATS,
        saes: perLayer(hook, dSae, (layer) => `v5_${size}_layer_${layer}${suffix}`),
      });
    }
  }
  return out;
}

export const RELEASES: readonly SaeRelease[] = [
  {
    name: 'gpt2-small-res-jb',
    repoId: 'jbloom/GPT2-Small-SAEs-Reformatted',
    model: 'gpt2',
    architecture: 'standard',
    normalizeActivations: 'none',
    centredResidual: true,
    summary: 'Joseph Bloom\'s ReLU + L1 SAEs on the residual stream before every block (and after the last), 24,576 latents, 300M OpenWebText tokens',
    caveats: [
      CENTRING_CAVEAT,
      'Layer 11 holds two SAEs, blocks.11.hook_resid_pre and blocks.11.hook_resid_post; --layers 11 imports both.',
      'Trained on 128-token contexts of OpenWebText; SAELens lists variance explained 0.9 to 0.999 up to layer 8 and 0.77 for layers 9–11.',
    ],
    saes: [
      ...perLayer('hook_resid_pre', 24_576, (layer) => `blocks.${layer}.hook_resid_pre`),
      { id: 'blocks.11.hook_resid_post', folder: 'blocks.11.hook_resid_post', layer: 11, hookName: 'blocks.11.hook_resid_post', dSae: 24_576 },
    ],
  },
  {
    name: 'gpt2-small-res-jb-feature-splitting',
    repoId: 'jbloom/GPT2-Small-Feature-Splitting-Experiment-Layer-8',
    model: 'gpt2',
    architecture: 'standard',
    normalizeActivations: 'none',
    centredResidual: true,
    summary: 'Joseph Bloom\'s feature-splitting ladder: eight ReLU + L1 SAEs of 768 to 98,304 latents on blocks.8.hook_resid_pre, imported as one family',
    caveats: [
      CENTRING_CAVEAT,
      'The eight sizes were trained one by one on the same site and data, not in one pass as this app trains a family; their latents are still compared across sizes by decoder direction.',
      'The largest size holds 98,304 × 768 × 2 float32 weights (600 MB); the whole family is 1.2 GB on disk.',
    ],
    saes: [768, 1536, 3072, 6144, 12_288, 24_576, 49_152, 98_304].map((dSae) => ({
      id: `blocks.8.hook_resid_pre_${dSae}`,
      folder: `blocks.8.hook_resid_pre_${dSae}`,
      layer: 8,
      hookName: 'blocks.8.hook_resid_pre' as const,
      dSae,
    })),
  },
  ...openAiReleases(),
];

/** The release called `name`; the error lists every known one. */
export function findRelease(name: string): SaeRelease {
  const release = RELEASES.find((r) => r.name === name);
  if (!release) throw new Error(`unknown release "${name}"; known releases: ${RELEASES.map((r) => r.name).join(', ')}`);
  return release;
}

/** Layers a release has SAEs for, ascending. */
export function releaseLayers(release: SaeRelease): number[] {
  return [...new Set(release.saes.map((s) => s.layer))].sort((a, b) => a - b);
}

/** The SAEs of `layers` (all of them when omitted); a layer the release lacks is refused with the valid ones. */
export function selectReleaseSaes(release: SaeRelease, layers?: readonly number[]): ReleaseSae[] {
  if (layers === undefined) return [...release.saes];
  if (layers.length === 0) throw new Error(`no layers given; ${release.name} has layers ${releaseLayers(release).join(', ')}`);
  const valid = releaseLayers(release);
  const wrong = layers.filter((layer) => !valid.includes(layer));
  if (wrong.length > 0) throw new Error(`${release.name} has no layer ${wrong.join(', ')}; its layers are ${valid.join(', ')}`);
  return release.saes.filter((s) => layers.includes(s.layer));
}

export interface ReleaseFamilyPlan {
  /** Folder name of the family: the release's name when it has one site, else "<release>.<hook>". */
  id: string;
  hookName: HookName;
  saes: ReleaseSae[];
}

/** One family per hook site among `saes`, its sizes ascending, in the release's order of sites. */
export function planReleaseFamilies(release: SaeRelease, saes: ReleaseSae[]): ReleaseFamilyPlan[] {
  const oneSite = new Set(release.saes.map((s) => s.hookName)).size === 1;
  const families = new Map<HookName, ReleaseSae[]>();
  for (const sae of saes) families.set(sae.hookName, [...(families.get(sae.hookName) ?? []), sae]);
  return [...families].map(([hookName, members]) => ({
    id: oneSite ? release.name : `${release.name}.${hookName}`,
    hookName,
    saes: members.sort((a, b) => a.dSae - b.dSae),
  }));
}
