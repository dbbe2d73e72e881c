// `sae-explorer bench recovery`: every architecture the app trains, on one stream of synthetic
// activations from a planted dictionary with parent/child hierarchies (data/planted.ts), at equal
// L0, through the family trainer's own loop (train/steps.ts). Reported per architecture: the share
// of planted features recovered, mean max decoder cosine, FVU, L0 reached, dead fraction, and
// absorption on the hierarchies (bench/recovery/metrics.ts, definitions in the output).
//
// Equal L0: top-k, BatchTopK and Matryoshka BatchTopK take k = the target. ReLU-L1, JumpReLU and
// Gated have no k; their sparsity coefficient is calibrated (calibrate.ts) by short probe runs on
// the same stream, and the full run's L0 is reported next to its figures.
import { PlantedDictionary, type PlantedConfig } from '../data/planted.js';
import type { RunArchitecture, SaeRunSettings } from '../train/config.js';
import { runSteps, startFamily } from '../train/steps.js';
import { calibrateCoefficient, COEFFICIENT_OF, type CalibrationProbe } from './recovery/calibrate.js';
import { evaluateOnPlanted, type PlantedEval } from './recovery/evaluate.js';
import { ABSORPTION_DEFINITION, CHILD_LEANING_DEFINITION, PARENT_MISS_DEFINITION, RECOVERY_DEFINITION } from './recovery/metrics.js';

export interface RecoveryBenchOptions {
  /** The planted dictionary (data/planted.ts; its defaults otherwise). */
  planted: Partial<PlantedConfig>;
  /** Latents of every SAE (a Matryoshka SAE's whole dictionary). */
  latents: number;
  /** The L0 every architecture is held to: k of the top-k family, the calibration target of the others. */
  targetL0: number;
  /** Training tokens per architecture. */
  tokens: number;
  /** Tokens per step. */
  batch: number;
  /** Held-out tokens the figures are measured on. */
  evalTokens: number;
  /** Seed of the training stream and of the SAEs' initialisation (the dictionary has planted.seed). */
  seed: number;
  /** Architectures, in the order reported. */
  architectures: RunArchitecture[];
  /** Training tokens of one calibration probe. */
  probeTokens: number;
  /** Probe runs at most per calibrated architecture. */
  probes: number;
  /** A probe within this relative distance of the target L0 ends the calibration. */
  l0Tolerance: number;
  /**
   * JumpReLU's initial threshold (units of √E‖x − μ‖²). The paper's 0.001 is for ~10⁵ steps: Adam
   * moves log θ by about the learning rate per step, so in 2,000 steps θ grows ~9× and the SAE never
   * sparsifies (L0 273 at 0.001, docs/science.md). At 0.2 the default λ's probe already lands at the
   * target L0 (the calibration record of the run shows it).
   */
  jumpReluThreshold: number;
}

/**
 * 256 features in 128 dimensions, 4 active per token on average, 16 parents with 2 children each;
 * dictionaries twice the planted count (with exactly as many latents as features, top-k left 12%
 * of the features outside the hierarchies unrecovered after 2M tokens; with twice, none).
 */
export const DEFAULT_OPTIONS: RecoveryBenchOptions = {
  planted: { d: 128, features: 256, parents: 16, childrenPerParent: 2, childGivenParent: 0.5, meanActive: 4 },
  latents: 512,
  targetL0: 4,
  tokens: 2_048_000,
  batch: 1024,
  evalTokens: 32_768,
  seed: 0,
  architectures: ['topk', 'batchtopk', 'matryoshka', 'relu', 'jumprelu', 'gated'],
  probeTokens: 256_000,
  probes: 5,
  l0Tolerance: 0.05,
  jumpReluThreshold: 0.2,
};

/** Nested sizes of the Matryoshka SAE: halvings of the whole dictionary down to an eighth. */
export function matryoshkaSizes(latents: number): number[] {
  return [latents / 8, latents / 4, latents / 2, latents].map(Math.round);
}

/** The run settings of one architecture (the family trainer's defaults for the rest). */
function settingsFor(o: RecoveryBenchOptions, arch: RunArchitecture, tokens: number, coefficient?: number): SaeRunSettings {
  const name = COEFFICIENT_OF[arch];
  return {
    arch,
    k: o.targetL0,
    tokens,
    batch: o.batch,
    seed: o.seed,
    sharedInit: false,
    multiTopK: false,
    shards: 1,
    // The planted data is a sum of directions: layer_norm's per-token centring and scaling would
    // bend it, one global scale keeps every direction and the sum as they are.
    normalize: 'expected_average_only_in',
    ...(name && coefficient !== undefined ? { [name]: coefficient } : {}),
    ...(arch === 'jumprelu' ? { jumpReluThreshold: o.jumpReluThreshold } : {}),
  };
}

export interface TrainedOnPlanted extends PlantedEval {
  /** Fraction of latents that did not fire in the last quarter of training (the trainer's dead window). */
  deadFraction: number;
}

/** Trains one architecture on the planted stream through the family trainer's loop, and evaluates it; `log` hears of each quarter. */
export async function trainOnPlanted(planted: PlantedDictionary, settings: SaeRunSettings, latents: number, evalTokens: number, evalSeed: number, log?: (line: string) => void): Promise<TrainedOnPlanted> {
  const stream = planted.stream(settings.seed);
  const sizes = settings.arch === 'matryoshka' ? matryoshkaSizes(latents) : [latents];
  const { family, normalization } = await startFamily(settings, planted.d, sizes, stream.next(4096).x);
  try {
    const steps = Math.ceil(settings.tokens / settings.batch);
    await runSteps({
      family,
      batches: { next: async () => stream.next(settings.batch).x },
      normalization,
      dIn: planted.d,
      batch: settings.batch,
      from: 0,
      steps,
      logEvery: Math.max(1, Math.ceil(steps / 4)),
      emit: (e) => {
        if (e.type === 'progress' && log) log(`recovery: ${settings.arch} step ${e.step}/${e.totalSteps}, train FVU ${e.perSae.at(-1)!.trainFvu.toFixed(4)}, L0 ${e.perSae.at(-1)!.l0.toFixed(2)}`);
      },
    });
    const sae = family.saes[0];
    const figures = await evaluateOnPlanted(planted, sae, normalization, planted.stream(evalSeed).next(evalTokens));
    return { ...figures, deadFraction: family.last[0]!.metrics.deadFraction };
  } finally {
    await family.dispose();
  }
}

export interface ArchitectureResult extends TrainedOnPlanted {
  arch: RunArchitecture | 'planted';
  /** The sparsity coefficient used (l1Coefficient or l0Coefficient), null for the top-k family. */
  coefficient: number | null;
  /** Calibration probes (coefficient, L0 after probeTokens), in order. */
  calibration: CalibrationProbe[];
  seconds: number;
}

/** Seeds of the held-out streams, apart from every training seed a run is likely to use. */
const EVAL_SEED = 1_000_003;
const PROBE_EVAL_SEED = 2_000_003;

/** SAE_BENCH_RECOVERY_ARCHS=jumprelu,gated runs those rows alone (each row depends only on its own seeds). */
function architecturesFromEnv(): RunArchitecture[] | undefined {
  const value = process.env.SAE_BENCH_RECOVERY_ARCHS;
  if (value === undefined) return undefined;
  const names = value.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !DEFAULT_OPTIONS.architectures.includes(name as RunArchitecture));
  if (unknown.length || names.length === 0) throw new Error(`SAE_BENCH_RECOVERY_ARCHS="${value}": expected a comma-separated list of ${DEFAULT_OPTIONS.architectures.join(', ')}`);
  return names as RunArchitecture[];
}

export async function run(options: Partial<RecoveryBenchOptions> = {}, log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): Promise<Record<string, unknown>> {
  const fromEnv = architecturesFromEnv();
  const o = { ...DEFAULT_OPTIONS, ...(fromEnv ? { architectures: fromEnv } : {}), ...options };
  const planted = new PlantedDictionary(o.planted);
  const results: ArchitectureResult[] = [];
  const truth = await evaluateOnPlanted(planted, 'planted', undefined, planted.stream(EVAL_SEED).next(o.evalTokens));
  results.push({ arch: 'planted', ...truth, deadFraction: 0, coefficient: null, calibration: [], seconds: 0 });
  for (const arch of o.architectures) {
    const started = performance.now();
    let coefficient: number | null = null;
    let calibration: CalibrationProbe[] = [];
    if (COEFFICIENT_OF[arch]) {
      const probe = async (c: number) => (await trainOnPlanted(planted, settingsFor(o, arch, o.probeTokens, c), o.latents, Math.min(o.evalTokens, 8192), PROBE_EVAL_SEED)).l0;
      ({ coefficient, probes: calibration } = await calibrateCoefficient(arch, probe, { target: o.targetL0, probes: o.probes, tolerance: o.l0Tolerance }));
      log(`recovery: ${arch} calibrated: ${COEFFICIENT_OF[arch]} ${coefficient.toPrecision(3)} (${calibration.map((p) => `${p.coefficient.toPrecision(3)} → L0 ${p.l0.toFixed(2)}`).join(', ')})`);
    }
    const trained = await trainOnPlanted(planted, settingsFor(o, arch, o.tokens, coefficient ?? undefined), o.latents, o.evalTokens, EVAL_SEED, log);
    const result = { arch, ...trained, coefficient, calibration, seconds: (performance.now() - started) / 1000 };
    results.push(result);
    log(`recovery: ${arch}: recovered ${(result.recovered * 100).toFixed(1)}%, L0 ${result.l0.toFixed(2)}, FVU ${result.fvu.toFixed(4)}, absorption ${result.absorptionRate === null ? '-' : (result.absorptionRate * 100).toFixed(1) + '%'} (${result.seconds.toFixed(0)} s)`);
  }
  return {
    planted: { ...planted.config, children: planted.pairs.length },
    latents: o.latents,
    target_l0: o.targetL0,
    tokens: o.tokens,
    batch: o.batch,
    eval_tokens: o.evalTokens,
    seed: o.seed,
    matryoshka_sizes: matryoshkaSizes(o.latents),
    definitions: {
      recovered: RECOVERY_DEFINITION,
      absorption_rate: ABSORPTION_DEFINITION,
      parent_miss_rate: PARENT_MISS_DEFINITION,
      child_leaning: CHILD_LEANING_DEFINITION,
      fvu: 'sum ||x - x_hat||^2 / sum ||x - mean(x)||^2 over the eval tokens (one global input scale, so the same in raw units)',
      l0: 'mean active latents per eval token, by the SAE\'s inference encoding (BatchTopK and Matryoshka: their learned threshold)',
      dead_frac: 'latents that did not fire in the last quarter of the training tokens (the family trainer\'s dead window for a run this short)',
      planted: 'the planted dictionary read as an SAE: each feature is a latent firing at its magnitude (the best any SAE can do; its FVU is the noise)',
      calibration: 'ReLU-L1 (l1Coefficient), JumpReLU (l0Coefficient) and Gated (l1Coefficient): probe runs of probe_tokens bracket the target L0 by factors of 4, then interpolate log L0 against log coefficient; the probe closest to the target is used for the full run',
    },
    probe_tokens: o.probeTokens,
    results: results.map(snakeCase),
  };
}

function snakeCase(r: ArchitectureResult): Record<string, unknown> {
  return {
    arch: r.arch,
    coefficient: r.coefficient,
    l0: round(r.l0),
    fvu: round(r.fvu),
    recovered: round(r.recovered),
    recovered_independent: round(r.recoveredIndependent),
    recovered_children: r.recoveredChildren === null ? null : round(r.recoveredChildren),
    mean_max_cosine: round(r.meanMaxCosine),
    dead_frac: round(r.deadFraction),
    absorption_rate: r.absorptionRate === null ? null : round(r.absorptionRate),
    parent_miss_rate: r.parentMissRate === null ? null : round(r.parentMissRate),
    child_leaning: r.childLeaning === null ? null : round(r.childLeaning),
    calibration: r.calibration.map((p) => ({ coefficient: p.coefficient, l0: round(p.l0) })),
    seconds: round(r.seconds),
  };
}

/** The results as a fixed-width table, one architecture a line. */
export function table(output: Record<string, unknown>): string {
  const rows = output.results as Array<Record<string, number | string | null>>;
  const columns: Array<[string, string, (v: number) => string]> = [
    ['arch', 'architecture', (v) => String(v)],
    ['l0', 'L0', (v) => v.toFixed(2)],
    ['recovered', 'recovered', pct],
    ['recovered_independent', 'indep.', pct],
    ['recovered_children', 'children', pct],
    ['mean_max_cosine', 'mean max cos', (v) => v.toFixed(3)],
    ['fvu', 'FVU', (v) => v.toFixed(4)],
    ['dead_frac', 'dead', pct],
    ['absorption_rate', 'absorption', pct],
    ['parent_miss_rate', 'parent miss', pct],
    ['child_leaning', 'child→parent cos', (v) => v.toFixed(3)],
    ['coefficient', 'coefficient', (v) => v.toPrecision(3)],
  ];
  const cells = [columns.map(([, title]) => title), ...rows.map((r) => columns.map(([key, , format]) => (r[key] === null ? '-' : format(r[key] as number))))];
  const widths = columns.map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  return cells.map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ')).join('\n');
}

function pct(v: number): string {
  return `${(v * 100).toFixed(1)}%`;
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
