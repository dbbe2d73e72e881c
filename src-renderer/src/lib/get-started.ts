// The first screen's checklist: the steps of the main job (a model, a dataset, SAEs, harvested
// features), each with its state in this workspace — done, running (a job of its kind is under way)
// or not yet — and what it occupies on disk.
import type { JobInfo, JobKind, WorkspaceListing } from '../../../src-shared/api.js';
import { FINISHED_JOB_STATES } from '../../../src-shared/api.js';

export type StepId = 'model' | 'dataset' | 'saes' | 'features';
export type StepState = 'done' | 'running' | 'not yet';

export interface Step {
  id: StepId;
  state: StepState;
  /** What the workspace holds for this step, e.g. "2 models". */
  detail: string;
  sizeBytes: number;
}

const JOB_KINDS: Record<StepId, JobKind[]> = {
  model: ['pull-model', 'lm-train'],
  dataset: ['pull-dataset'],
  saes: ['train', 'sae-import'],
  features: ['harvest'],
};

const plural = (n: number, noun: string, nouns = `${noun}s`): string => `${n} ${n === 1 ? noun : nouns}`;

export function gettingStarted(listing: WorkspaceListing, jobs: JobInfo[]): Step[] {
  const running = (id: StepId): boolean => jobs.some((job) => JOB_KINDS[id].includes(job.kind) && !FINISHED_JOB_STATES.includes(job.state));
  const sum = (entries: Array<{ sizeBytes: number }>): number => entries.reduce((total, entry) => total + entry.sizeBytes, 0);
  const added = listing.datasets.filter((d) => d.kind !== 'embedded');
  const step = (id: StepId, have: boolean, detail: string, sizeBytes: number): Step => ({ id, state: running(id) ? 'running' : have ? 'done' : 'not yet', detail, sizeBytes });
  return [
    step('model', listing.models.length > 0, plural(listing.models.length, 'model'), sum(listing.models)),
    // The embedded corpus is always there, so training can start without bringing a dataset.
    step('dataset', added.length > 0, added.length ? plural(added.length, 'dataset') : 'the embedded corpus only', sum(added)),
    step('saes', listing.saes.length > 0, `${plural(listing.families.length, 'family', 'families')}, ${plural(listing.saes.length, 'SAE')}`, sum(listing.saes)),
    step('features', listing.databases.length > 0, plural(listing.databases.length, 'feature database'), sum(listing.databases)),
  ];
}

/** Bytes the workspace's entries occupy (models linked from the Hugging Face cache count their files). */
export function diskUse(steps: Step[]): number {
  return steps.reduce((total, step) => total + step.sizeBytes, 0);
}
