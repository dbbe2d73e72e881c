// Validation of request params arriving from a renderer or over HTTP: one spec per request, unknown
// keys rejected, and an error that names the request, the field, the value and what would be right.
import { ApiError } from '../../src-shared/api.js';

export type FieldSpec =
  | { type: 'string'; optional?: boolean; pattern?: RegExp; patternHint?: string; maxLength?: number }
  | { type: 'integer'; optional?: boolean; min?: number; max?: number }
  | { type: 'number'; optional?: boolean; min?: number; max?: number }
  | { type: 'boolean'; optional?: boolean }
  | { type: 'integer[]'; optional?: boolean; min?: number; max?: number; minItems?: number; maxItems?: number }
  | { type: 'number[]'; optional?: boolean; min?: number; max?: number; minItems?: number; maxItems?: number }
  | { type: 'string[]'; optional?: boolean; pattern?: RegExp; patternHint?: string; minItems?: number; maxItems?: number }
  | { type: 'enum'; optional?: boolean; values: readonly string[] };

export type ParamsSpec<T> = { [K in keyof T]-?: FieldSpec };

function describe(value: unknown): string {
  const json = JSON.stringify(value);
  return json === undefined ? String(value) : json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

function checkNumber(method: string, key: string, value: unknown, spec: { min?: number; max?: number }, integer: boolean): void {
  // Integers end up as SQLite bindings, array sizes and loop bounds: beyond 2^53 they are not exact.
  const ok = typeof value === 'number' && Number.isFinite(value) && (!integer || Number.isSafeInteger(value));
  const range = `${spec.min !== undefined ? ` ≥ ${spec.min}` : ''}${spec.max !== undefined ? ` ≤ ${spec.max}` : ''}`;
  if (!ok || (spec.min !== undefined && value < spec.min) || (spec.max !== undefined && value > spec.max)) {
    throw new ApiError('bad_request', `${method}: "${key}" must be ${integer ? 'an integer' : 'a number'}${range}, got ${describe(value)}`);
  }
}

function checkField(method: string, key: string, value: unknown, spec: FieldSpec): void {
  switch (spec.type) {
    case 'string':
      if (typeof value !== 'string' || value.length === 0) {
        throw new ApiError('bad_request', `${method}: "${key}" must be a non-empty string, got ${describe(value)}`);
      }
      if (spec.maxLength !== undefined && value.length > spec.maxLength) {
        throw new ApiError('bad_request', `${method}: "${key}" must be at most ${spec.maxLength} characters, got ${value.length}`);
      }
      if (spec.pattern && !spec.pattern.test(value)) {
        throw new ApiError('bad_request', `${method}: "${key}" must be ${spec.patternHint ?? `matching ${spec.pattern}`}, got ${describe(value)}`);
      }
      return;
    case 'integer':
    case 'number':
      checkNumber(method, key, value, spec, spec.type === 'integer');
      return;
    case 'boolean':
      if (typeof value !== 'boolean') throw new ApiError('bad_request', `${method}: "${key}" must be true or false, got ${describe(value)}`);
      return;
    case 'integer[]':
      checkList(method, key, value, spec, 'integers').forEach((item, i) => checkNumber(method, `${key}[${i}]`, item, spec, true));
      return;
    case 'number[]':
      checkList(method, key, value, spec, 'numbers').forEach((item, i) => checkNumber(method, `${key}[${i}]`, item, spec, false));
      return;
    case 'string[]':
      checkList(method, key, value, spec, 'strings').forEach((item, i) =>
        checkField(method, `${key}[${i}]`, item, { type: 'string', pattern: spec.pattern, patternHint: spec.patternHint }));
      return;
    case 'enum':
      if (typeof value !== 'string' || !spec.values.includes(value)) {
        throw new ApiError('bad_request', `${method}: "${key}" must be one of ${spec.values.join(', ')}, got ${describe(value)}`);
      }
      return;
  }
}

/** The list's own checks (an array, within minItems..maxItems); its items are the caller's. */
function checkList(method: string, key: string, value: unknown, spec: { minItems?: number; maxItems?: number }, items: string): unknown[] {
  if (!Array.isArray(value) || value.length < (spec.minItems ?? 0) || (spec.maxItems !== undefined && value.length > spec.maxItems)) {
    const most = spec.maxItems === undefined ? '' : ` and at most ${spec.maxItems}`;
    throw new ApiError('bad_request', `${method}: "${key}" must be a list of at least ${spec.minItems ?? 0}${most} ${items}, got ${describe(value)}`);
  }
  return value;
}

/** Checks `params` against `spec` and returns it typed; throws ApiError('bad_request') otherwise. */
export function readParams<T>(method: string, params: unknown, spec: ParamsSpec<T>): T {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw new ApiError('bad_request', `${method}: params must be an object, got ${describe(params)}`);
  }
  const known = Object.keys(spec);
  for (const key of Object.keys(params)) {
    if (!known.includes(key)) {
      throw new ApiError('bad_request', `${method}: unknown field "${key}"; expected ${known.length ? known.join(', ') : 'no fields'}`);
    }
  }
  const record = params as Record<string, unknown>;
  for (const key of known) {
    const fieldSpec = (spec as Record<string, FieldSpec>)[key]!;
    const value = record[key];
    if (value === undefined) {
      if (!fieldSpec.optional) throw new ApiError('bad_request', `${method}: missing required field "${key}"`);
      continue;
    }
    checkField(method, key, value, fieldSpec);
  }
  return params as T;
}

/** Names of workspace entries: one path segment, no traversal, portable across file systems. */
export const ENTRY_NAME = { pattern: /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, patternHint: 'a name of letters, digits, ".", "_" and "-" (at most 100)' };
/** SAE ids: "family/size" or "name", each segment an ENTRY_NAME. */
export const SAE_ID = { pattern: /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(\/[A-Za-z0-9][A-Za-z0-9._-]{0,99})?$/, patternHint: 'an SAE id like "family/4096"' };
/**
 * Dataset ids: a file or folder name under datasets/ as the user dropped it there (spaces and all;
 * one path segment, not hidden, so never "." or ".."), or "embedded:sotu" for the built-in corpus.
 */
export const DATASET_ID = { pattern: /^[^./\\\0][^/\\\0]{0,199}$/, patternHint: 'a file or folder name under datasets/ (no "/", "\\" or leading ".") or "embedded:sotu"' };
