// The training curve of one dictionary size, kept bounded whatever the run length: each point is the
// mean of an equal number of consecutive steps, and when the points would exceed the bound,
// neighbouring pairs merge and every later point covers twice as many steps. A run of any length so
// keeps between half the bound and the bound of evenly spaced points. The state is plain JSON that
// the checkpoint stores, so a resumed run ends with exactly the curve an uninterrupted one would.

/** Most points a curve keeps (family.json's "history"). */
export const HISTORY_POINTS = 256;

/** One point: sums over its steps (means are taken on output, so merging two points is exact). */
export interface CurveBucket {
  /** Steps summed. */
  steps: number;
  /** Training tokens seen after the bucket's last step. */
  tokens: number;
  fvu: number;
  l0: number;
  /** Sum of dead fractions; null for a size whose dead fraction is not measured on its own (a Matryoshka prefix). */
  dead: number | null;
}

export interface CurveState {
  /** Steps a full bucket covers; every bucket but the last is full. */
  stepsPerPoint: number;
  buckets: CurveBucket[];
}

/** A step's figures as the SAE core reports them. */
export interface CurveSample {
  fvu: number;
  l0: number;
  deadFraction: number | null;
}

/** The curve as family.json stores it: parallel arrays of means, one entry per point. */
export interface TrainingCurvePoints {
  tokens: number[];
  trainFvu: number[];
  l0: number[];
  /** Null when the size's dead fraction is not measured on its own. */
  deadFrac: number[] | null;
}

export class TrainingCurve {
  private stepsPerPoint: number;
  private buckets: CurveBucket[];

  constructor(
    private readonly maxPoints = HISTORY_POINTS,
    state?: CurveState,
  ) {
    if (!Number.isInteger(maxPoints) || maxPoints < 2 || maxPoints % 2 !== 0) throw new Error(`training curve: maxPoints must be an even integer ≥ 2, got ${maxPoints}`);
    this.stepsPerPoint = state?.stepsPerPoint ?? 1;
    this.buckets = state ? state.buckets.map((b) => ({ ...b })) : [];
  }

  add(tokens: number, sample: CurveSample): void {
    const last = this.buckets.at(-1);
    if (last && last.steps < this.stepsPerPoint) {
      last.steps++;
      last.tokens = tokens;
      last.fvu += sample.fvu;
      last.l0 += sample.l0;
      last.dead = last.dead === null || sample.deadFraction === null ? null : last.dead + sample.deadFraction;
      return;
    }
    this.buckets.push({ steps: 1, tokens, fvu: sample.fvu, l0: sample.l0, dead: sample.deadFraction });
    if (this.buckets.length > this.maxPoints) this.halve();
  }

  /** Merges neighbouring pairs; an odd last bucket stays alone, partial at the doubled span. */
  private halve(): void {
    const merged: CurveBucket[] = [];
    for (let i = 0; i < this.buckets.length; i += 2) {
      const a = this.buckets[i]!;
      const b = this.buckets[i + 1];
      merged.push(
        b
          ? { steps: a.steps + b.steps, tokens: b.tokens, fvu: a.fvu + b.fvu, l0: a.l0 + b.l0, dead: a.dead === null || b.dead === null ? null : a.dead + b.dead }
          : a,
      );
    }
    this.buckets = merged;
    this.stepsPerPoint *= 2;
  }

  state(): CurveState {
    return { stepsPerPoint: this.stepsPerPoint, buckets: this.buckets.map((b) => ({ ...b })) };
  }

  points(): TrainingCurvePoints {
    const dead = this.buckets.every((b) => b.dead !== null) ? this.buckets.map((b) => b.dead! / b.steps) : null;
    return {
      tokens: this.buckets.map((b) => b.tokens),
      trainFvu: this.buckets.map((b) => b.fvu / b.steps),
      l0: this.buckets.map((b) => b.l0 / b.steps),
      deadFrac: dead,
    };
  }
}
