import { describe, expect, it } from 'vitest';
import {
  API_METHODS,
  ApiError,
  createApi,
  createBridge,
  isApiMethod,
  transportFromBridge,
  type ApiEvent,
  type ApiMethod,
  type ApiTransport,
  type EventListener,
} from '../../src-shared/api.js';

/** A transport that records calls and answers from a table, with a hand-driven event source. */
function recordingTransport(answer: (method: ApiMethod, params: unknown) => unknown) {
  const calls: Array<[ApiMethod, unknown]> = [];
  const listeners = new Set<EventListener>();
  const transport: ApiTransport = {
    call: async (method, params) => {
      calls.push([method, params]);
      const result = answer(method, params);
      return result instanceof ApiError ? { ok: false, error: result.toInfo() } : { ok: true, result };
    },
    subscribe: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return { transport, calls, emit: (event: ApiEvent) => listeners.forEach((l) => l(event)) };
}

describe('API contract', () => {
  it('lists every request once, as domain.verb', () => {
    expect(new Set(API_METHODS).size).toBe(API_METHODS.length);
    expect(API_METHODS).toContain('workspace.createTinyModel');
    expect(API_METHODS).toContain('features.page');
    for (const method of API_METHODS) expect(method).toMatch(/^[a-z]+\.[a-zA-Z]+$/);
  });

  it('recognises only contract names, not inherited properties', () => {
    expect(isApiMethod('workspace.list')).toBe(true);
    expect(isApiMethod('workspace.nope')).toBe(false);
    expect(isApiMethod('toString')).toBe(false);
    expect(isApiMethod('__proto__')).toBe(false);
    expect(isApiMethod(42)).toBe(false);
  });

  it('createApi turns each request into a named function that sends its name and params', async () => {
    const { transport, calls } = recordingTransport((method, params) => ({ method, params }));
    const api = createApi(transport);
    expect(await api.features.page({ model: 'tiny', sae: 'fam/64', latent: 3 })).toEqual({
      method: 'features.page',
      params: { model: 'tiny', sae: 'fam/64', latent: 3 },
    });
    await api.workspace.list();
    expect(calls).toEqual([
      ['features.page', { model: 'tiny', sae: 'fam/64', latent: 3 }],
      ['workspace.list', {}],
    ]);
    for (const method of API_METHODS) {
      const [domain, verb] = method.split('.') as [string, string];
      expect(typeof (api as unknown as Record<string, Record<string, unknown>>)[domain]![verb]).toBe('function');
    }
  });

  it('rejects with an ApiError that keeps the remote code and message', async () => {
    const { transport } = recordingTransport(() => new ApiError('not_found', 'no model "x"'));
    const error = await createApi(transport).workspace.info().catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe('not_found');
    expect((error as ApiError).message).toBe('no model "x"');
  });

  it('a bridge (as the preload exposes it) carries envelopes, and the renderer unwraps them the same way', async () => {
    const { transport, emit } = recordingTransport((method) => (method === 'jobs.cancel' ? new ApiError('conflict', 'already done') : method));
    const bridge = createBridge(transport);
    expect(await bridge.jobs.list()).toEqual({ ok: true, result: 'jobs.list' });
    expect(await bridge.jobs.cancel({ jobId: 'job-1' })).toEqual({ ok: false, error: { code: 'conflict', message: 'already done' } });

    const api = createApi(transportFromBridge(bridge));
    expect(await api.jobs.list()).toBe('jobs.list');
    await expect(api.jobs.cancel({ jobId: 'job-1' })).rejects.toMatchObject({ code: 'conflict' });

    const seen: ApiEvent[] = [];
    const stop = api.onEvent((event) => seen.push(event));
    const event: ApiEvent = { type: 'job.log', jobId: 'job-1', level: 'info', message: 'hello' };
    emit(event);
    stop();
    emit(event);
    expect(seen).toEqual([event]);
  });
});
