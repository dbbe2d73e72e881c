// A family: SAEs of several sizes on one hook, stepped on the same normalised batch, so the GPT-2
// forward that produced the batch is paid once for all of them.
import { tf } from '../engine/backend.js';
import { createSae, validateSaeConfig, type SaeExportMeta, type SaeTrainConfig, type SaeTrainState, type StepResult, type TrainableSae } from '../sae/index.js';
import type { PendingStep } from '../sae/api.js';
import { readSteps, settledStep } from '../sae/pending.js';
import type { SaeBundle } from '../sae/types.js';
import { deadWindowTokens, initSeed, l1WarmupSteps, lrWarmupSteps, saeArchitecture, trainedSizes, type SaeRunSettings, type TrainRunConfig } from './config.js';
import type { SaeProgress } from './events.js';
import { TrainingCurve, type CurveState, type TrainingCurvePoints } from './history.js';

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
export function saeConfigFor(run: SaeRunSettings, dIn: number, dSae: number, prefixes: number[] = []): SaeTrainConfig {
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
    jumpReluInitThreshold: run.jumpReluThreshold,
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
  /** The training curve of each member (members' order). */
  private readonly curves: TrainingCurve[];
  /** Steps whose results are still on the device, oldest first: read together by `settle`. */
  private unread: Array<{ sae: number; step: number; pending: PendingStep }> = [];

  private constructor(
    readonly saes: TrainableSae[],
    curves?: CurveState[],
  ) {
    this.windows = saes.map(() => new MetricsWindow());
    this.last = saes.map(() => undefined);
    const count = this.members.length;
    if (curves && curves.length !== count) throw new Error(`checkpoint holds ${curves.length} training curves for ${count} sizes`);
    this.curves = Array.from({ length: count }, (_, i) => new TrainingCurve(undefined, curves?.[i]));
  }

  /**
   * Fresh SAEs of every size (a matryoshka run: one SAE of the largest, the others its prefixes);
   * `sample` (normalised [N, dIn]) initialises b_dec.
   */
  static async create(run: SaeRunSettings, dIn: number, sizes: number[], sample: tf.Tensor2D, make: CreateSae = createSae): Promise<SaeFamily> {
    const saes: TrainableSae[] = [];
    for (const dSae of trainedSizes(run, sizes)) {
      const prefixes = run.arch === 'matryoshka' ? [...sizes].sort((a, b) => a - b).filter((n) => n < dSae) : [];
      saes.push(await make(saeConfigFor(run, dIn, dSae, prefixes), { sample, shards: run.shards }));
    }
    return new SaeFamily(saes);
  }

  /**
   * SAEs continued from checkpointed states (their configs must be this run's), with their training
   * curves; a checkpoint from before curves were kept starts them afresh at the resumed step.
   */
  static async restore(run: TrainRunConfig, states: SaeTrainState[], make: CreateSae = createSae, curves?: CurveState[]): Promise<SaeFamily> {
    const saes: TrainableSae[] = [];
    for (const state of states) {
      const sae = await make(state.config, { weights: state.params, shards: run.shards });
      await sae.setState(state);
      saes.push(sae);
    }
    return new SaeFamily(saes, curves);
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
   * One optimizer step of every size on the same batch. Results the SAEs keep on the device (off
   * wasm) wait for `settle`; the others are settled now, so a non-finite loss throws DivergedError
   * naming the size and step at once; `checkpointNote` says which checkpoint survives.
   */
  async step(x: tf.Tensor2D, step: number, checkpointNote: string): Promise<void> {
    for (let i = 0; i < this.saes.length; i++) {
      const sae = this.saes[i];
      this.unread.push({ sae: i, step, pending: sae.stepDeferred ? await sae.stepDeferred(x) : settledStep(await sae.step(x)) });
    }
    if (this.unread.every((u) => u.pending.scalars.length === 0)) await this.settle(checkpointNote);
  }

  /**
   * Reads the unread steps' results in one transfer and adds them to the progress windows and the
   * curves; throws DivergedError for the first non-finite loss. Call before reporting progress or
   * saving a checkpoint.
   */
  async settle(checkpointNote: string): Promise<void> {
    const unread = this.unread;
    this.unread = [];
    const results = await readSteps(unread.map((u) => u.pending));
    unread.forEach(({ sae, step }, j) => {
      const result = results[j];
      if (!Number.isFinite(result.loss)) throw new DivergedError(this.saes[sae].config.dSae, step, result.loss, checkpointNote);
      this.windows[sae].add(result);
      this.last[sae] = result;
      // The step's last SAE: every size's metrics of this step are in `last`.
      if (sae === this.saes.length - 1) this.addCurvePoints(step * result.metrics.tokens);
    });
  }

  private addCurvePoints(tokens: number): void {
    this.members.forEach((member, i) => {
      const metrics = this.last[member.sae]!.metrics;
      if (member.dSae === this.saes[member.sae]!.config.dSae) this.curves[i]!.add(tokens, metrics);
      else {
        // A Matryoshka prefix has its own FVU and L0 but no dead fraction of its own.
        const prefix = metrics.prefixes?.find((p) => p.dSae === member.dSae);
        if (prefix) this.curves[i]!.add(tokens, { fvu: prefix.fvu, l0: prefix.l0, deadFraction: null });
      }
    });
  }

  /** Each member's curve state, for the checkpoint. */
  curveStates(): CurveState[] {
    return this.curves.map((c) => c.state());
  }

  /** Each member's training curve, in members' order. */
  curvePoints(): TrainingCurvePoints[] {
    return this.curves.map((c) => c.points());
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
    tf.dispose(this.unread.flatMap((u) => u.pending.scalars));
    this.unread = [];
    for (const sae of this.saes) await sae.dispose();
  }
}
