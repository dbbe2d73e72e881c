// Reads what a family's family.json records about training, for the family page and `family chart`:
// per member, the train figures, the eval FVU, the training curve and tokens to convergence. Every
// part is optional, because family.json files differ by age and origin (version 1 had no train/eval
// split; training curves came later; imports and checkpoints sets record none of it): what is missing
// is null, what is present but malformed is an error naming the file and the field.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { readRegularFile } from '../io/regular-file.js';
import type { Convergence } from './convergence.js';
import type { TrainingCurvePoints } from './history.js';

export interface MemberRecord {
  /** Absolute SAELens folder. */
  path: string;
  dSae: number | null;
  train: { trainFvu: number | null; l0: number | null; deadFrac: number | null } | null;
  /** Eval FVU (raw space) from family.json, else from the member's eval.json; null when neither has one. */
  evalFvu: number | null;
  history: TrainingCurvePoints | null;
  convergence: Convergence | null;
}

export interface FamilyRecord {
  file: string;
  /** Training tokens of the run; null when the file does not say. */
  tokens: number | null;
  members: MemberRecord[];
}

type Json = Record<string, unknown>;

function object(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `read` lets the compute process read only regular files (a FIFO named family.json must not block it). */
export function readFamilyRecord(dir: string, read: (file: string) => string = readRegularFile): FamilyRecord {
  const file = path.join(dir, 'family.json');
  if (!existsSync(file)) throw new Error(`${dir}: no family.json; expected a family folder that sae-explorer train (or sae import) wrote`);
  let json: unknown;
  try {
    json = JSON.parse(read(file));
  } catch (err) {
    throw new Error(`${file}: not valid JSON (${(err as Error).message})`);
  }
  if (!object(json) || !Array.isArray(json.saes)) throw new Error(`${file}: "saes" must list the family's SAEs as [{"d_sae", "path"}…]`);
  const num = (value: unknown, field: string): number | null => {
    if (value === undefined || value === null) return null;
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`${file}: ${field} must be a number, got ${JSON.stringify(value)}`);
    return value;
  };
  const numbers = (value: unknown, field: string, length: number | null): number[] => {
    if (!Array.isArray(value) || (length !== null && value.length !== length)) throw new Error(`${file}: ${field} must be a list of ${length ?? 'some'} numbers`);
    return value.map((v, i) => num(v, `${field}[${i}]`) ?? Number.NaN);
  };
  const members = json.saes.map((entry: unknown, i): MemberRecord => {
    const at = `saes[${i}]`;
    if (!object(entry) || typeof entry.path !== 'string') throw new Error(`${file}: ${at}.path must be the SAE's folder relative to the family`);
    const folder = path.resolve(dir, entry.path);
    const train = object(entry.train)
      ? { trainFvu: num(entry.train.train_fvu, `${at}.train.train_fvu`), l0: num(entry.train.l0, `${at}.train.l0`), deadFrac: num(entry.train.dead_frac, `${at}.train.dead_frac`) }
      : null;
    let history: TrainingCurvePoints | null = null;
    if (entry.history !== undefined && entry.history !== null) {
      if (!object(entry.history)) throw new Error(`${file}: ${at}.history must be {"tokens", "train_fvu", "l0", "dead_frac"}`);
      const tokens = numbers(entry.history.tokens, `${at}.history.tokens`, null);
      history = {
        tokens,
        trainFvu: numbers(entry.history.train_fvu, `${at}.history.train_fvu`, tokens.length),
        l0: numbers(entry.history.l0, `${at}.history.l0`, tokens.length),
        deadFrac: entry.history.dead_frac === null ? null : numbers(entry.history.dead_frac, `${at}.history.dead_frac`, tokens.length),
      };
    }
    let convergence: Convergence | null = null;
    const ttc = entry.tokens_to_convergence;
    if (ttc !== undefined && ttc !== null) {
      if (!object(ttc) || typeof ttc.converged !== 'boolean') throw new Error(`${file}: ${at}.tokens_to_convergence must be {"tokens", "converged"} or null`);
      convergence = { tokens: num(ttc.tokens, `${at}.tokens_to_convergence.tokens`) ?? Number.NaN, converged: ttc.converged };
    }
    // Version 1 files had one "nmse" (eval or train, unsaid): it is not taken for an eval FVU.
    let evalFvu = object(entry.eval) ? num(entry.eval.eval_fvu, `${at}.eval.eval_fvu`) : null;
    const evalFile = path.join(folder, 'eval.json');
    if (evalFvu === null && existsSync(evalFile)) {
      let evalJson: unknown;
      try {
        evalJson = JSON.parse(readFileSync(evalFile, 'utf8'));
      } catch (err) {
        throw new Error(`${evalFile}: not valid JSON (${(err as Error).message})`);
      }
      if (object(evalJson) && typeof evalJson.eval_fvu === 'number') evalFvu = evalJson.eval_fvu;
    }
    return { path: folder, dSae: num(entry.d_sae, `${at}.d_sae`), train, evalFvu, history, convergence };
  });
  return { file, tokens: num(json.tokens, 'tokens'), members };
}
