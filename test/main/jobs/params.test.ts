import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../src-shared/api.js';
import { ENTRY_NAME, readParams } from '../../../src-main/jobs/params.js';

interface Params {
  name: string;
  layers?: number;
  sizes?: number[];
  arch?: string;
}

const SPEC = {
  name: { type: 'string', ...ENTRY_NAME },
  layers: { type: 'integer', optional: true, min: 1, max: 12 },
  sizes: { type: 'integer[]', optional: true, min: 1, minItems: 1 },
  arch: { type: 'enum', optional: true, values: ['topk', 'relu'] },
} as const;

function failure(params: unknown): ApiError {
  try {
    readParams<Params>('test.method', params, SPEC);
  } catch (err) {
    return err as ApiError;
  }
  throw new Error('expected readParams to throw');
}

describe('readParams', () => {
  it('returns valid params unchanged', () => {
    const params = { name: 'tiny-1', layers: 2, sizes: [64, 128], arch: 'topk' };
    expect(readParams<Params>('test.method', params, SPEC)).toBe(params);
    expect(readParams<Params>('test.method', { name: 'x' }, SPEC)).toEqual({ name: 'x' });
  });

  it('rejects unknown keys, naming them and the known ones', () => {
    const err = failure({ name: 'x', layer: 2 });
    expect(err.code).toBe('bad_request');
    expect(err.message).toBe('test.method: unknown field "layer"; expected name, layers, sizes, arch');
  });

  it('names the field, the value and what would be right', () => {
    expect(failure({}).message).toBe('test.method: missing required field "name"');
    expect(failure({ name: 'x', layers: 1.5 }).message).toBe('test.method: "layers" must be an integer ≥ 1 ≤ 12, got 1.5');
    expect(failure({ name: 'x', layers: 13 }).message).toContain('got 13');
    expect(failure({ name: 'x', sizes: [64, 0] }).message).toBe('test.method: "sizes[1]" must be an integer ≥ 1, got 0');
    expect(failure({ name: 'x', arch: 'gated' }).message).toBe('test.method: "arch" must be one of topk, relu, got "gated"');
    expect(failure(null).message).toBe('test.method: params must be an object, got null');
  });

  it('refuses integers beyond exact doubles, and lists longer than allowed', () => {
    // 1e300 passes Number.isInteger; SQLite then failed with "datatype mismatch".
    expect(failure({ name: 'x', sizes: [1e300] }).message).toBe('test.method: "sizes[0]" must be an integer ≥ 1, got 1e+300');
    expect(failure({ name: 'x', sizes: [2 ** 53] }).message).toBe('test.method: "sizes[0]" must be an integer ≥ 1, got 9007199254740992');
    const short = { name: { type: 'string' }, sizes: { type: 'integer[]', maxItems: 2 } } as const;
    expect(() => readParams('test.method', { name: 'x', sizes: [1, 2, 3] }, short)).toThrow('test.method: "sizes" must be a list of at least 0 and at most 2 integers, got [1,2,3]');
  });

  it('refuses names that could leave their folder', () => {
    for (const name of ['../x', '..', 'a/b', '.hidden', 'a\\b', '']) {
      expect(failure({ name }).code).toBe('bad_request');
    }
  });
});
