// A checkpoints set: one SAE at the same hook on each checkpoint of a model's pretraining, for
// following features across training (docs/architecture.md, "Comparable sets"). Each member is an
// ordinary one-size family run of the trainer in a hidden work folder `out/.train-<label>/` (its
// checkpoint makes it resumable, also after kill -9), moved to `out/<label>/` when it finishes. Every
// member uses the same config — dataset, seed, tokens — so all see the same windows in the same
// order; only the model differs. The set's family.json (kind "checkpoints") lists them from the
// earliest checkpoint to the final model, which is last and labelled "final", each with the train
// figures and training curve its run recorded (kept in a hidden `out/.record-<label>.json` between
// the member's end and the set's, so a resumed set still has the curves of members it keeps).
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { writeJsonAtomic } from '../io/atomic.js';
import { SET_FILE } from '../features/comparable-set.js';
import { CHECKPOINT_FILE } from './checkpoint.js';
import { FAMILY_FILE } from './finish.js';
import { validateTrainRunConfig } from './config.js';
import type { SaeRunResult } from './events.js';
import { trainFamily, type FamilyRunResult, type TrainContext } from './trainer.js';

export const FINAL_LABEL = 'final';
const WORK_PREFIX = '.train-';
const RECORD_PREFIX = '.record-';
/** What the set's family.json keeps of each member's own run (finish.ts writes them). */
const RECORD_KEYS = ['train', 'eval', 'history', 'tokens_to_convergence'];

export interface CheckpointMember {
  /** Folder name of the member in the set, and how the app names it ("step-74", "final"). */
  label: string;
  /** The checkpoint's model folder (or Hub name), as the trainer loads it. */
  model: string;
}

/** Earlier checkpoints by their folder names, then the final model as "final"; names must be distinct. */
export function checkpointMembers(earlier: string[], final: string): CheckpointMember[] {
  const members = earlier.map((model) => ({ label: path.basename(model.replace(/[/\\]+$/, '')), model }));
  members.push({ label: FINAL_LABEL, model: final });
  const seen = new Set<string>();
  for (const m of members) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(m.label)) throw new Error(`checkpoint ${m.model}: its folder name "${m.label}" must be letters, digits, ".", "_" and "-" (it names the SAE)`);
    if (seen.has(m.label)) throw new Error(`checkpoint ${m.model}: two checkpoints are named "${m.label}"${m.label === FINAL_LABEL ? ' ("final" is the --model)' : ''}; give folders with distinct names`);
    seen.add(m.label);
  }
  return members;
}

/** Whether a set folder holds anything a resume continues: a finished member or a member's checkpoint. */
export function setHasProgress(out: string): boolean {
  if (!existsSync(out)) return false;
  return readdirSync(out).some((name) =>
    name.startsWith(WORK_PREFIX) ? existsSync(path.join(out, name, CHECKPOINT_FILE)) : existsSync(path.join(out, name, 'cfg.json')),
  );
}

export interface CheckpointSetResult extends FamilyRunResult {
  /** Label of the member the run stopped in (cancelled) or null when all finished. */
  stoppedAt: string | null;
}

/**
 * Trains the set. `input` is a trainer run config (validated there) naming one size; its `model` is
 * ignored in favour of each member's. With `resume`, finished members are kept and an unfinished one
 * continues from its checkpoint; without, a member already in `out` is an error. `onMember` hears of
 * each member as its training starts (its index in `members`), so a progress display can name it.
 */
export async function trainCheckpointSet(
  input: Record<string, unknown>,
  members: CheckpointMember[],
  context: Omit<TrainContext, 'model' | 'tokenizer'> = {},
  onMember?: (index: number, member: CheckpointMember) => void,
): Promise<CheckpointSetResult> {
  const config = validateTrainRunConfig({ ...input, model: members[members.length - 1]?.model ?? input.model });
  const sizes = config.latents ?? config.expansion ?? [];
  if (sizes.length !== 1) throw new Error(`a checkpoints set trains one SAE per checkpoint: give one size (--latents or --expansion), got ${sizes.length}`);
  if (config.cacheActivations) throw new Error('--cache-activations holds one model\'s activations; a checkpoints set reads a different model per member, so leave it out');
  if (members.length < 2) throw new Error('a checkpoints set needs at least one earlier checkpoint besides the final model');
  const labels = members.map((m) => m.label);
  const twice = labels.find((label, i) => labels.indexOf(label) !== i);
  if (twice !== undefined) throw new Error(`two members of the checkpoints set are named "${twice}"; each checkpoint needs its own name ("${FINAL_LABEL}" is the final model)`);
  const out = config.out;
  mkdirSync(out, { recursive: true });
  const log = (message: string) => context.onEvent?.({ type: 'log', level: 'info', message });
  const results: SaeRunResult[] = [];
  const recordFile = (label: string) => path.join(out, `${RECORD_PREFIX}${label}.json`);
  let step = 0;
  for (const [i, member] of members.entries()) {
    const dest = path.join(out, member.label);
    const work = path.join(out, `${WORK_PREFIX}${member.label}`);
    if (existsSync(path.join(dest, 'cfg.json'))) {
      if (!config.resume) throw new Error(`${dest} is already trained: pass --resume to continue the set, or choose another --out`);
      log(`checkpoint ${i + 1}/${members.length} (${member.label}) already trained, kept`);
      continue;
    }
    log(`checkpoint ${i + 1}/${members.length} (${member.label}): training on ${member.model}`);
    onMember?.(i, member);
    const resume = config.resume && existsSync(path.join(work, CHECKPOINT_FILE));
    const run = await trainFamily({ ...input, model: member.model, out: work, resume }, context);
    step = run.step;
    if (run.status === 'cancelled') return { status: 'cancelled', step, results: [], stoppedAt: member.label };
    const result = run.results[0]!;
    const own = JSON.parse(readFileSync(path.join(work, FAMILY_FILE), 'utf8')) as { saes: Array<Record<string, unknown>> };
    writeJsonAtomic(recordFile(member.label), Object.fromEntries(RECORD_KEYS.map((key) => [key, own.saes[0]![key] ?? null])));
    rmSync(dest, { recursive: true, force: true });
    renameSync(result.dir, dest);
    rmSync(work, { recursive: true, force: true });
    results.push({ ...result, dir: dest });
  }
  const dSae = config.latents ? sizes[0]! : (results[0]?.dSae ?? null);
  // A member kept by a resume after the set was written has its record in that family.json; one kept
  // from a set trained before records were kept has none.
  const setFile = path.join(out, SET_FILE);
  const previous = existsSync(setFile) ? ((JSON.parse(readFileSync(setFile, 'utf8')) as { saes?: Array<Record<string, unknown>> }).saes ?? []) : [];
  const memberRecord = (label: string): Record<string, unknown> => {
    if (existsSync(recordFile(label))) return JSON.parse(readFileSync(recordFile(label), 'utf8')) as Record<string, unknown>;
    const before = previous.find((entry) => entry.label === label);
    return before ? Object.fromEntries(RECORD_KEYS.filter((key) => key in before).map((key) => [key, before[key]])) : {};
  };
  writeJsonAtomic(setFile, {
    version: 3,
    kind: 'checkpoints',
    hook: config.hook,
    dataset: config.dataset,
    architecture: config.arch,
    k: config.arch === 'relu' ? null : config.k,
    tokens: config.tokens,
    seed: config.seed,
    saes: members.map((m) => ({
      label: m.label,
      path: m.label,
      d_sae: dSae,
      model: path.basename(m.model.replace(/[/\\]+$/, '')),
      model_path: existsSync(m.model) ? path.resolve(m.model) : m.model,
      ...memberRecord(m.label),
    })),
    created: new Date().toISOString(),
  });
  for (const m of members) rmSync(recordFile(m.label), { force: true });
  return { status: 'finished', step, results, stoppedAt: null };
}
