// A family: SAEs of several sizes on one hook, stepped on the same normalised batch, so the GPT-2
// forward that produced the batch is paid once for all of them.
import { tf } from '../engine/backend.js';
import { createSae, validateSaeConfig, type SaeExportMeta, type SaeTrainConfig, type SaeTrainState, type StepResult, type TrainableSae } from '../sae/index.js';
import type { SaeBundle } from '../sae/types.js';
import { deadWindowTokens, initSeed, l1WarmupSteps, lrWarmupSteps, saeArchitecture, trainedSizes, type TrainRunConfig } from './config.js';
import type { SaeProgress } from './events.js';

export type CreateSae = typeof createSae;

/** A non-finite loss: training stops and the last good checkpoint is kept. */
export class DivergedError extends Error {
  constructor(
    readonly dSae: number,
    readonly step: number,
    loss: number,
    checkpointNote: string,
  ) {
    super(`SAE d_sae=${dSae}: loss is ${loss} at step ${step}; training stopped. ${checkpointNote}`);
    this.name = 'DivergedError';
  }
}

/** SAE core config of one trained SAE of the run; `prefixes`: a matryoshka run's smaller sizes. */
export function saeConfigFor(run: TrainRunConfig, dIn: number, dSae: number, prefixes: number[] = []): SaeTrainConfig {
  return validateSaeConfig({
    architecture: saeArchitecture(run.arch),
    dIn,
    dSae,
    k: run.k,
    lr: run.lr,
    lrWarmupSteps: lrWarmupSteps(run),
    gradClipNorm: run.gradClip,
    auxK: run.auxK,
    deadTokensWindow: deadWindowTokens(run),
    multiTopK: run.multiTopK,
    l1Coefficient: run.l1Coefficient,
    l1WarmupSteps: l1WarmupSteps(run),
    l0Coefficient: run.l0Coefficient,
    matryoshkaPrefixes: prefixes,
    normalizeActivations: run.normalize,
    seed: initSeed(run, dSae),
  });
}

/** Running means of the step metrics between two progress events. */
class MetricsWindow {
  private steps = 0;
  private sums = { loss: 0, fvu: 0, l0: 0 };
  private losses: Record<string, number> = {};
  private deadFraction = 0;

  add(r: StepResult): void {
    this.steps++;
    this.sums.loss += r.loss;
    this.sums.fvu += r.metrics.fvu;
    this.sums.l0 += r.metrics.l0;
    for (const [name, v] of Object.entries(r.losses)) this.losses[name] = (this.losses[name] ?? 0) + v;
    this.deadFraction = r.metrics.deadFraction;
  }

  take(dSae: number): SaeProgress {
    const n = Math.max(1, this.steps);
    const out: SaeProgress = {
      dSae,
      loss: this.sums.loss / n,
      losses: Object.fromEntries(Object.entries(this.losses).map(([k, v]) => [k, v / n])),
      trainFvu: this.sums.fvu / n,
      l0: this.sums.l0 / n,
      deadFraction: this.deadFraction,
    };
    this.steps = 0;
    this.sums = { loss: 0, fvu: 0, l0: 0 };
    this.losses = {};
    return out;
  }
}

export class SaeFamily {
  private readonly windows: MetricsWindow[];
  /** Latest metrics of each size, kept for the final report. */
  readonly last: Array<StepResult | undefined>;

  private constructor(readonly saes: TrainableSae[]) {
    this.windows = saes.map(() => new MetricsWindow());
    this.last = saes.map(() => undefined);
  }

  /**
   * Fresh SAEs of every size (a matryoshka run: one SAE of the largest, the others its prefixes);
   * `sample` (normalised [N, dIn]) initialises b_dec.
   */
  static async create(run: TrainRunConfig, dIn: number, sizes: number[], sample: tf.Tensor2D, make: CreateSae = createSae): Promise<SaeFamily> {
    const saes: TrainableSae[] = [];
    for (const dSae of trainedSizes(run, sizes)) {
      const prefixes = run.arch === 'matryoshka' ? [...sizes].sort((a, b) => a - b).filter((n) => n < dSae) : [];
      saes.push(await make(saeConfigFor(run, dIn, dSae, prefixes), { sample, shards: run.shards }));
    }
    return new SaeFamily(saes);
  }

  /** SAEs continued from checkpointed states (their configs must be this run's). */
  static async restore(run: TrainRunConfig, states: SaeTrainState[], make: CreateSae = createSae): Promise<SaeFamily> {
    const saes: TrainableSae[] = [];
    for (const state of states) {
      const sae = await make(state.config, { weights: state.params, shards: run.shards });
      await sae.setState(state);
      saes.push(sae);
    }
    return new SaeFamily(saes);
  }

  /**
   * The family's sizes, ascending, each with the SAE that holds it: one SAE per size, or a Matryoshka
   * SAE's nested prefixes and itself.
   */
  get members(): Array<{ dSae: number; sae: number }> {
    return this.saes
      .flatMap((s, sae) => [...s.config.matryoshkaPrefixes, s.config.dSae].map((dSae) => ({ dSae, sae })))
      .sort((a, b) => a.dSae - b.dSae);
  }

  get sizes(): number[] {
    return this.members.map((m) => m.dSae);
  }

  /**
   * One optimizer step of every size on the same batch. A non-finite loss throws DivergedError
   * naming the size and step; `checkpointNote` says which checkpoint survives.
   */
  async step(x: tf.Tensor2D, step: number, checkpointNote: string): Promise<void> {
    for (let i = 0; i < this.saes.length; i++) {
      const result = await this.saes[i].step(x);
      if (!Number.isFinite(result.loss)) throw new DivergedError(this.saes[i].config.dSae, step, result.loss, checkpointNote);
      this.windows[i].add(result);
      this.last[i] = result;
    }
  }

  takeProgress(): SaeProgress[] {
    return this.windows.map((w, i) => w.take(this.saes[i].config.dSae));
  }

  async states(): Promise<SaeTrainState[]> {
    const out: SaeTrainState[] = [];
    for (const sae of this.saes) out.push(await sae.getState());
    return out;
  }

  async bundles(meta: SaeExportMeta): Promise<SaeBundle[]> {
    const out: SaeBundle[] = [];
    for (const sae of this.saes) out.push(await sae.toBundle(meta));
    return out;
  }

  async dispose(): Promise<void> {
    for (const sae of this.saes) await sae.dispose();
  }
}
