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

describe('readParams string lists', () => {
  const spec = { ids: { type: 'string[]', minItems: 1, maxItems: 2, ...ENTRY_NAME } } as const;
  const read = (ids: unknown) => () => readParams<{ ids: string[] }>('test.method', { ids }, spec);

  it('checks the list length and every item against the pattern, naming the item', () => {
    expect(read(['a', 'b'])()).toEqual({ ids: ['a', 'b'] });
    expect(read([])).toThrow('test.method: "ids" must be a list of at least 1 and at most 2 strings, got []');
    expect(read(['a', 'b', 'c'])).toThrow('at least 1 and at most 2 strings');
    expect(read('a')).toThrow('"ids" must be a list');
    expect(read(['a', '../b'])).toThrow('test.method: "ids[1]" must be a name of letters');
    expect(read(['a', 3])).toThrow('test.method: "ids[1]" must be a non-empty string, got 3');
  });
});

describe('readParams number lists', () => {
  const spec = { xs: { type: 'number[]', minItems: 2, maxItems: 3, min: -5, max: 5 } } as const;
  const read = (xs: unknown) => () => readParams<{ xs: number[] }>('test.method', { xs }, spec);

  it('checks the list length and every number against the range, naming the item', () => {
    expect(read([-1.5, 2])()).toEqual({ xs: [-1.5, 2] });
    expect(read([1])).toThrow('test.method: "xs" must be a list of at least 2 and at most 3 numbers, got [1]');
    expect(read([1, 6])).toThrow('test.method: "xs[1]" must be a number ≥ -5 ≤ 5, got 6');
    expect(read([1, 'a'])).toThrow('"xs[1]" must be a number');
  });
});
