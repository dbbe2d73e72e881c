// A comparable set: SAEs at one hook site whose latents are compared with one another, recorded in
// the set folder's family.json. Two kinds: "sizes" (a family of dictionary sizes on one model, the
// trainer's family.json since version 1; no "kind" key means this) and "checkpoints" (one SAE per
// checkpoint of a model's pretraining, each with its own model, all trained, harvested and matched
// on the same tokens). Members are listed in the set's order: sizes ascending, checkpoints from the
// earliest to the final model, which is last.
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const SET_FILE = 'family.json';
export const SET_KINDS = ['sizes', 'checkpoints'] as const;
export type SetKind = (typeof SET_KINDS)[number];

export interface SetMember {
  /** Absolute SAELens folder. */
  path: string;
  /** How the set names the member: its d_sae for sizes, the checkpoint's name ("step-74", "final"). */
  label: string;
  /** The member's model as the set records it (a checkpoint's folder name); null in a sizes set, whose model is the set's. */
  model: string | null;
  /** Absolute folder of that model when the set records one. */
  modelPath: string | null;
}

export interface ComparableSet {
  dir: string;
  kind: SetKind;
  members: SetMember[];
}

interface SetFileJson {
  kind?: unknown;
  saes?: Array<{ d_sae?: unknown; path?: unknown; label?: unknown; model?: unknown; model_path?: unknown }>;
}

/**
 * Reads `dir`/family.json; every malformed field is an error naming the file and the field. `read`
 * lets the workspace scan read only regular files.
 */
export function readSetFile(dir: string, read: (file: string) => string = (file) => readFileSync(file, 'utf8')): ComparableSet {
  const file = path.join(dir, SET_FILE);
  let json: SetFileJson;
  try {
    json = JSON.parse(read(file)) as SetFileJson;
  } catch (err) {
    throw new Error(`${file}: not valid JSON (${(err as Error).message})`);
  }
  const kind = json.kind ?? 'sizes';
  if (!SET_KINDS.includes(kind as SetKind)) throw new Error(`${file}: "kind" must be one of ${SET_KINDS.join(', ')}, got ${JSON.stringify(kind)}`);
  if (!Array.isArray(json.saes) || json.saes.length === 0) throw new Error(`${file}: "saes" must list the set's SAEs as [{"d_sae", "path"}…]`);
  const text = (value: unknown, field: string, i: number): string | null => {
    if (value === undefined) return null;
    if (typeof value !== 'string' || value === '') throw new Error(`${file}: saes[${i}].${field} must be a non-empty string, got ${JSON.stringify(value)}`);
    return value;
  };
  const members = json.saes.map((s, i): SetMember => {
    if (typeof s.path !== 'string') throw new Error(`${file}: saes[${i}].path must be the SAE's folder relative to the set`);
    const model = text(s.model, 'model', i);
    const modelPath = text(s.model_path, 'model_path', i);
    if (kind === 'checkpoints' && (model === null || modelPath === null)) throw new Error(`${file}: saes[${i}] of a checkpoints set must name its "model" and "model_path"`);
    return { path: path.resolve(dir, s.path), label: text(s.label, 'label', i) ?? String(s.d_sae ?? s.path), model, modelPath: modelPath && path.resolve(dir, modelPath) };
  });
  const labels = new Set(members.map((m) => m.label));
  if (labels.size !== members.length) throw new Error(`${file}: two members share a label; each must be named once`);
  return { dir, kind: kind as SetKind, members };
}
