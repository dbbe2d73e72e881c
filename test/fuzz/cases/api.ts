// Malformed API requests sent over HTTP to the real browser-mode server, backed by the real compute
// process, on a scratch workspace holding one tiny model: bodies of the wrong type, unknown keys,
// wrong field types and sizes, path-like ids, deep nesting, oversize bodies and odd routes. Every
// answer must be a clear refusal (no 5xx, no `internal` error, no stack trace), and the server must
// answer a plain request afterwards.
import { mkdirSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import path from 'node:path';
import { API_METHODS, type ApiMethod, type ApiResponse, type JobInfo } from '../../../src-shared/api.js';
import { ComputeHost } from '../../../src-main/jobs/host.js';
import { startApiServer, type ApiServer } from '../../../src-main/server/server.js';
import type { Verdict } from '../harness.js';
import type { FuzzCase } from '../judge.js';

interface Reply {
  status: number;
  body: string;
}

/** A running server on a scratch workspace; started by the first API case of a child. */
export class ApiTarget {
  private running: Promise<{ server: ApiServer; compute: ComputeHost }> | undefined;

  constructor(private readonly workDir: string) {}

  private start(): Promise<{ server: ApiServer; compute: ComputeHost }> {
    return (this.running ??= (async () => {
      const rendererDir = path.join(this.workDir, 'renderer');
      mkdirSync(rendererDir, { recursive: true });
      writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>fuzz</title>');
      // Offline and with a private Hub cache: a pull the fuzz gets accepted must not reach the network.
      const compute = new ComputeHost({
        workspace: path.join(this.workDir, 'workspace'),
        env: { HF_HUB_OFFLINE: '1', HF_HUB_CACHE: path.join(this.workDir, 'hub-cache') },
      });
      await compute.start();
      const server = await startApiServer({ backend: compute, rendererDir });
      const made = await compute.call('workspace.createTinyModel', { name: 'tiny', layers: 1, dModel: 16, heads: 2, ctx: 32 });
      if (!made.ok) throw new Error(`fuzz set-up: cannot create the tiny model: ${made.error.message}`);
      return { server, compute };
    })());
  }

  /** One raw HTTP request; resolves with a reply, or with status -1 and the socket error. */
  async send(route: string, body: string | Buffer | undefined, method = 'POST'): Promise<Reply> {
    const { server } = await this.start();
    return new Promise((resolve) => {
      const req = httpRequest(
        { host: '127.0.0.1', port: server.port, path: route, method, headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json' } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', (err) => resolve({ status: -1, body: err.message }));
        },
      );
      req.on('error', (err) => resolve({ status: -1, body: `${(err as NodeJS.ErrnoException).code ?? ''} ${err.message}` }));
      req.end(body);
    });
  }

  /** Cancels every job a case managed to start, so an accepted request does not keep the CPU busy. */
  async cancelJobs(): Promise<void> {
    const { compute } = await this.start();
    const jobs = await compute.call('jobs.list', {});
    if (!jobs.ok) return;
    for (const job of jobs.result as JobInfo[]) if (job.finishedAt === null) await compute.call('jobs.cancel', { jobId: job.id });
  }

  async close(): Promise<void> {
    if (!this.running) return;
    const { server, compute } = await this.running;
    await server.close();
    await compute.close();
  }
}

/** Why `reply` is not a clear refusal (or acceptable success), or undefined when it is. */
function judgeReply(reply: Reply, mayAccept: boolean): string | undefined {
  if (reply.status < 0) return `no HTTP answer: ${reply.body}`;
  if (/\n\s+at /.test(reply.body)) return `HTTP ${reply.status} with a stack trace: ${reply.body.slice(0, 200)}`;
  if (reply.status >= 500) return `HTTP ${reply.status}: ${reply.body.slice(0, 200)}`;
  if (reply.status !== 200) return reply.body.trim() === '' ? `HTTP ${reply.status} with no message` : undefined;
  let parsed: ApiResponse<unknown>;
  try {
    parsed = JSON.parse(reply.body) as ApiResponse<unknown>;
  } catch {
    return `HTTP 200 that is not JSON: ${reply.body.slice(0, 200)}`;
  }
  if (parsed.ok) return mayAccept ? undefined : `accepted: ${reply.body.slice(0, 200)}`;
  if (parsed.error.code === 'internal') return `internal error: ${parsed.error.message.slice(0, 300)}`;
  if (parsed.error.message.trim() === '') return `error ${parsed.error.code} with no message`;
  return undefined;
}

type FieldKind = 'id' | 'text' | 'int' | 'number' | 'bool' | 'list';

/** Each request's fields and a valid-looking body that the nasty value replaces one field of. */
const FIELDS: Partial<Record<ApiMethod, { base: Record<string, unknown>; fields: Record<string, FieldKind> }>> = {
  'workspace.createTinyModel': { base: { name: 'made' }, fields: { name: 'id', layers: 'int', dModel: 'int', heads: 'int', ctx: 'int', seed: 'int' } },
  'workspace.pullModel': { base: { name: 'gpt2' }, fields: { name: 'id' } },
  'jobs.cancel': { base: { jobId: 'job-1' }, fields: { jobId: 'id' } },
  'training.start': {
    base: { model: 'tiny', dataset: 'sotu', hook: 'blocks.0.hook_resid_post', latents: [32], k: 4, tokens: 4096, family: 'fam' },
    fields: { model: 'id', dataset: 'id', hook: 'id', latents: 'list', k: 'int', tokens: 'int', family: 'id', batch: 'int', lr: 'number', evalTokens: 'int' },
  },
  'harvest.start': { base: { model: 'tiny', family: 'fam', dataset: 'sotu', tokens: 4096 }, fields: { model: 'id', family: 'id', dataset: 'id', tokens: 'int', top: 'int', db: 'id' } },
  'features.list': { base: { model: 'tiny', sae: 'fam/32' }, fields: { model: 'id', sae: 'id', tokenFilter: 'text', offset: 'int', limit: 'int', descending: 'bool' } },
  'features.page': { base: { model: 'tiny', sae: 'fam/32', latent: 0 }, fields: { model: 'id', sae: 'id', latent: 'int' } },
  'features.map': { base: { model: 'tiny', family: 'fam' }, fields: { model: 'id', family: 'id' } },
  'features.search': { base: { query: 'the' }, fields: { query: 'text', sae: 'id', limit: 'int' } },
  'inspect.prompt': { base: { model: 'tiny', sae: 'fam/32', text: 'hello' }, fields: { model: 'id', sae: 'id', text: 'text', latent: 'int', topPerToken: 'int' } },
  'steer.generate': {
    base: { model: 'tiny', sae: 'fam/32', prompt: 'hello', latents: [0], strength: 2 },
    fields: { model: 'id', sae: 'id', prompt: 'text', latents: 'list', strength: 'number', fromPosition: 'int', maxNewTokens: 'int', temperature: 'number', seed: 'int' },
  },
  'steer.sweep': { base: { model: 'tiny', sae: 'fam/32', prompt: 'hello', latents: [0], strengths: [0, 2] }, fields: { model: 'id', sae: 'id', prompt: 'text', latents: 'list', strengths: 'list', maxNewTokens: 'int' } },
  'steer.savePreset': {
    base: { name: 'p', model: 'tiny', sae: 'fam/32', prompt: 'hello', latents: [0], strength: 2 },
    fields: { name: 'id', model: 'id', sae: 'id', prompt: 'text', latents: 'list', strength: 'number', fromPosition: 'int', maxNewTokens: 'int', temperature: 'number', seed: 'int' },
  },
  'steer.deletePreset': { base: { name: 'p' }, fields: { name: 'id' } },
  'attribution.run': { base: { model: 'tiny', saes: ['fam/32'], prompt: 'hello', target: ' world' }, fields: { model: 'id', saes: 'list', prompt: 'text', target: 'text' } },
  'attribution.tokenEffects': { base: { model: 'tiny', sae: 'fam/32', latent: 0, tokens: [1, 2] }, fields: { model: 'id', sae: 'id', latent: 'int', tokens: 'list' } },
  // The tiny model exists, so these run the real forward pass on whatever prompt and layer they get.
  'attention.patterns': { base: { model: 'tiny', prompt: 'hello world', layer: 0 }, fields: { model: 'id', prompt: 'text', layer: 'int', bos: 'bool' } },
  'attention.headScores': { base: { model: 'tiny', prompt: 'hello world' }, fields: { model: 'id', prompt: 'text', seed: 'int' } },
  'attention.logitLens': { base: { model: 'tiny', prompt: 'hello world' }, fields: { model: 'id', prompt: 'text', top: 'int' } },
  'family.tree': { base: { model: 'tiny', sae: 'fam/32', latent: 0 }, fields: { model: 'id', sae: 'id', latent: 'int', minCosine: 'number' } },
  'family.page': { base: { family: 'fam' }, fields: { family: 'id' } },
  'family.splitting': { base: { family: 'fam' }, fields: { family: 'id', minCosine: 'number' } },
};

const PATH_LIKE = ['../../etc/passwd', '/etc/passwd', '..', '.', 'fam/../../..', '..\\..\\windows\\win.ini', '%2e%2e%2f%2e%2e%2fetc', 'x\u0000y', ' ', '~/.ssh/id_rsa', 'C:\\Windows', 'a'.repeat(5000), '😀', 'datasets/../../../etc'];
const NASTY_NUMBERS = [1e300, -1, 1.5, '1', 2 ** 53 + 2, 1e15, 0, -0.0, null, [], true];
const WRONG_TYPES = [42, true, null, [], {}, ['a'], { nested: { deeper: 1 } }];

function nastyValues(kind: FieldKind): unknown[] {
  switch (kind) {
    case 'id':
    case 'text':
      return [...PATH_LIKE, ...WRONG_TYPES];
    case 'int':
    case 'number':
      return NASTY_NUMBERS;
    case 'bool':
      return ['true', 1, null, []];
    case 'list':
      return [[], [0], [-1], [1e15], [1.5], ['32'], 32, [32, 64, 1e300]];
  }
}

const NASTY_BODIES: Array<[string, string | Buffer]> = [
  ['an array', '[]'],
  ['null', 'null'],
  ['a string', '"workspace"'],
  ['a number', '42'],
  ['an unknown key', '{"zz_unknown": 1}'],
  ['cut JSON', '{"model": "ti'],
  ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])],
  ['__proto__ key', '{"__proto__": {"polluted": true}}'],
];

function randomJson(random: () => number, depth: number): unknown {
  const pick = Math.floor(random() * (depth > 3 ? 5 : 7));
  switch (pick) {
    case 0: return null;
    case 1: return random() < 0.5;
    case 2: return [0, -1, 1e308, 0.5, 2 ** 31, -(2 ** 63)][Math.floor(random() * 6)];
    case 3: return PATH_LIKE[Math.floor(random() * PATH_LIKE.length)];
    case 4: return ['tiny', 'sotu', 'fam', 'fam/32', 'job-1', 'blocks.0.hook_resid_post'][Math.floor(random() * 6)];
    case 5: return Array.from({ length: Math.floor(random() * 4) }, () => randomJson(random, depth + 1));
    default: {
      const keys = ['model', 'sae', 'dataset', 'family', 'latent', 'tokens', 'latents', 'k', 'query', 'text', 'name', 'jobId', 'limit', 'offset', 'zz'];
      return Object.fromEntries(Array.from({ length: Math.floor(random() * 5) }, () => [keys[Math.floor(random() * keys.length)], randomJson(random, depth + 1)]));
    }
  }
}

export function apiCases(target: ApiTarget, random: () => number, randomCount: number): FuzzCase[] {
  const cases: FuzzCase[] = [];
  const add = (name: string, route: string, body: () => string | Buffer | undefined, mayAccept: boolean, method = 'POST') =>
    cases.push({
      category: 'api',
      name,
      deadlineMs: 60_000,
      run: async (): Promise<Verdict> => {
        const reply = await target.send(route, body(), method);
        await target.cancelJobs();
        const problem = judgeReply(reply, mayAccept);
        const alive = await target.send('/api/workspace.info', '{}');
        if (alive.status !== 200 || !(JSON.parse(alive.body) as ApiResponse<unknown>).ok) {
          return { ok: false, detail: `the server no longer answers workspace.info (HTTP ${alive.status}: ${alive.body.slice(0, 200)})${problem ? `; the case: ${problem}` : ''}` };
        }
        return problem ? { ok: false, detail: problem } : { ok: true, detail: `HTTP ${reply.status} ${reply.body.slice(0, 200)}` };
      },
    });

  cases.push({
    category: 'api',
    name: 'control: workspace.list shows the tiny model the field cases name',
    deadlineMs: 60_000,
    run: async () => {
      const reply = await target.send('/api/workspace.list', '{}');
      const parsed = JSON.parse(reply.body) as ApiResponse<{ models: Array<{ id: string }> }>;
      const ok = reply.status === 200 && parsed.ok && parsed.result.models.some((m) => m.id === 'tiny');
      return { ok, detail: ok ? 'answered' : `a valid request is refused, so the refusals test nothing: HTTP ${reply.status} ${reply.body.slice(0, 200)}` };
    },
  });
  for (const method of API_METHODS) {
    // A `null` body means "no params", as an empty one does: fine for a request that takes none.
    for (const [what, body] of NASTY_BODIES) add(`${method}: body ${what}`, `/api/${method}`, () => body, body === 'null');
  }
  for (const [method, { base, fields }] of Object.entries(FIELDS)) {
    for (const [field, kind] of Object.entries(fields)) {
      for (const value of nastyValues(kind)) {
        const shown = typeof value === 'string' && value.length > 30 ? `"a" × ${value.length}` : JSON.stringify(value);
        // Ids and lists must refuse these values; free text may hold anything, and a number such as 0
        // is a valid seed or offset, so there only a clear answer is required.
        add(`${method}: ${field} = ${shown}`, `/api/${method}`, () => JSON.stringify({ ...base, [field]: value }), kind !== 'id' && kind !== 'list');
      }
    }
  }
  add('workspace.list: 100,000-deep JSON body', '/api/workspace.list', () => `${'['.repeat(100_000)}${']'.repeat(100_000)}`, false);
  add('features.search: 100,000-deep object body', '/api/features.search', () => `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`, false);
  add('features.search: 2 MiB body', '/api/features.search', () => JSON.stringify({ query: 'x'.repeat(2 * 2 ** 20) }), false);
  add('unknown request name', '/api/workspace.deleteEverything', () => '{}', false);
  add('request name with traversal', '/api/..%2f..%2fetc%2fpasswd', () => '{}', false);
  add('GET on an API route', '/api/workspace.info', () => undefined, false, 'GET');
  add('/files/ with traversal', '/files/..%2f..%2f..%2fetc%2fpasswd', () => undefined, false, 'GET');
  for (let i = 0; i < randomCount; i++) {
    const method = API_METHODS[Math.floor(random() * API_METHODS.length)];
    const body = JSON.stringify(randomJson(random, 0));
    // A random body can happen to be valid (`{}` for workspace.list); what must hold is a clear answer.
    add(`random ${method}: ${body.slice(0, 60)}`, `/api/${method}`, () => body, true);
  }
  return cases;
}
