// A training job's metric history, built from its progress events, in the columnar shape uPlot
// draws: one x array (tokens trained) and one y array per dictionary size.
import type { JobProgress } from '../../../src-shared/api.js';

/** The charted metrics, with the key names a trainer may report each under. */
export const TRAIN_METRICS = [
  { id: 'loss', label: 'loss', keys: ['loss'] },
  { id: 'nmse', label: 'train FVU (normalised inputs)', keys: ['train_fvu', 'trainFvu', 'nmse', 'nMSE'] },
  { id: 'l0', label: 'L0', keys: ['l0', 'L0'] },
  { id: 'dead', label: 'dead fraction (training window)', keys: ['deadFraction', 'dead_frac', 'dead_fraction', 'deadFrac'], range: [0, 1] },
] as const satisfies ReadonlyArray<{ id: string; label: string; keys: readonly string[]; range?: readonly [number, number] }>;

export type TrainMetricId = (typeof TRAIN_METRICS)[number]['id'];

export interface TrainingHistory {
  /** Labels of the members ("1024", "4096"), in first-seen order. */
  members: string[];
  /** Progress `done` of each point. */
  x: number[];
  /** metric → member → value per point (null where the member did not report it). */
  y: Record<TrainMetricId, Record<string, Array<number | null>>>;
}

export function emptyHistory(): TrainingHistory {
  return { members: [], x: [], y: { loss: {}, nmse: {}, l0: {}, dead: {} } };
}

function pick(values: Record<string, number>, keys: readonly string[]): number | null {
  for (const key of keys) {
    const v = values[key];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return null;
}

/** Adds one progress report; a report at the same `done` as the last replaces it. */
export function appendProgress(history: TrainingHistory, progress: JobProgress): void {
  const members = Object.keys(progress.series);
  if (members.length === 0) return;
  for (const member of members) {
    if (history.members.includes(member)) continue;
    history.members.push(member);
    for (const metric of TRAIN_METRICS) history.y[metric.id][member] = history.x.map(() => null);
  }
  const last = history.x.length - 1;
  const replace = last >= 0 && history.x[last] === progress.done;
  if (!replace) history.x.push(progress.done);
  const index = history.x.length - 1;
  for (const metric of TRAIN_METRICS) {
    for (const member of history.members) {
      const values = progress.series[member];
      history.y[metric.id][member]![index] = values ? pick(values, metric.keys) : null;
    }
  }
}

/** Sorts sizes numerically where they are numbers, so the legend reads small → large. */
export function orderedMembers(history: TrainingHistory): string[] {
  return [...history.members].sort((a, b) => Number(a) - Number(b) || a.localeCompare(b));
}
