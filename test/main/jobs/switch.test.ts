// Opening another workspace from the app (src-main/jobs/switch.ts, workspace/catalog.ts): only the
// workspaces the shell knows, by id; refused while jobs are unfinished, naming them; calls, events
// and the compute process follow the switch; a process that cannot start leaves the old one open.
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApiEvent, ApiResponse, KnownWorkspace, WorkspaceChoices, WorkspaceListing } from '../../../src-shared/api.js';
import { WorkspaceSwitch } from '../../../src-main/jobs/switch.js';
import { WorkspaceCatalog, workspaceId, type RecentWorkspaces } from '../../../src-main/jobs/workspace/catalog.js';
import { recentInMemory } from '../../../src-main/server/serve.js';
import { InProcessCompute } from './in-process-compute.js';

const roots: string[] = [];
afterEach(() => roots.splice(0).forEach((root) => rmSync(root, { recursive: true, force: true })));

function tempRoot(): string {
  const root = realpathSync(mkdtempSync(path.join(tmpdir(), 'sae-switch-')));
  roots.push(root);
  return root;
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((res) => (resolve = res));
  return { promise, resolve };
}

function result<T>(response: ApiResponse<unknown>): T {
  if (!response.ok) throw new Error(`${response.error.code}: ${response.error.message}`);
  return response.result as T;
}

function setup(options: { root?: boolean; recent?: RecentWorkspaces; spawn?: (folder: string) => InProcessCompute } = {}) {
  const base = tempRoot();
  const first = path.join(base, 'first');
  const launched = path.join(base, 'launched');
  const demo = path.join(base, 'demo');
  for (const folder of [first, launched, demo]) mkdirSync(folder);
  const root = options.root === false ? undefined : path.join(base, 'root');
  const recent = options.recent ?? recentInMemory();
  const catalog = new WorkspaceCatalog({ launched: [first, launched], demo, root, recent });
  const computes: InProcessCompute[] = [new InProcessCompute(first)];
  const opened: string[] = [];
  const workspaces = new WorkspaceSwitch<InProcessCompute>({
    catalog,
    folder: first,
    backend: computes[0]!,
    spawn: (folder) => {
      const compute = options.spawn?.(folder) ?? new InProcessCompute(folder);
      computes.push(compute);
      return compute;
    },
    opened: (folder) => opened.push(folder),
  });
  const events: ApiEvent[] = [];
  workspaces.subscribe((event) => events.push(event));
  const choices = async () => result<WorkspaceChoices>(await workspaces.call('workspace.recent', {}));
  const idOf = async (folder: string) => (await choices()).workspaces.find((w) => w.path === folder)!.id;
  return { base, first, launched, demo, root, recent, workspaces, computes, opened, events, choices, idOf };
}

describe('the workspaces the app may open', () => {
  it('lists the open one first, then those named at launch, the demo, the recent ones and the root\'s folders, each once', async () => {
    const recent = recentInMemory();
    const { base, first, launched, demo, root, choices } = setup({ recent });
    const before = path.join(base, 'before');
    mkdirSync(before);
    recent.remember(before);
    recent.remember(first);
    mkdirSync(path.join(root!, 'made-here'));
    mkdirSync(path.join(root!, '.hidden'));
    // A link in the root that leads out of it is not the root's to offer.
    symlinkSync(before, path.join(root!, 'link-out'));
    const listed = await choices();
    expect(listed.createRoot).toBe(root);
    expect(listed.workspaces.map((w) => [w.name, w.sources, w.current])).toEqual([
      ['first', ['current', 'launch', 'recent'], true],
      ['launched', ['launch'], false],
      ['demo', ['demo'], false],
      ['before', ['recent'], false],
      ['made-here', ['root'], false],
    ]);
    expect(listed.workspaces.map((w) => w.path)).toEqual([first, launched, demo, before, path.join(root!, 'made-here')]);
    expect(listed.workspaces[1]!.id).toBe(workspaceId(launched));
    expect(listed.workspaces[1]!.id).toMatch(/^[0-9a-f]{16}$/);
  });

  it('opens one by id: calls, events and the recent list follow; the old compute process is closed', async () => {
    const { first, launched, workspaces, computes, opened, events, idOf, recent } = setup();
    const answer = result<KnownWorkspace>(await workspaces.call('workspace.open', { id: await idOf(launched) }));
    expect(answer).toMatchObject({ path: launched, current: true });
    expect(result<WorkspaceListing>(await workspaces.call('workspace.list', {})).root).toBe(launched);
    expect(computes.map((c) => [c.folder, c.closed])).toEqual([[first, true], [launched, false]]);
    expect(opened).toEqual([launched]);
    expect(recent.list()).toEqual([launched]);
    // A listener subscribed before the switch hears the new workspace's jobs.
    computes[1]!.context.jobs.start({ kind: 'pull-model', title: 'after the switch', pausable: false, run: async () => ({ wrote: [], summary: {} }) });
    await computes[1]!.context.jobs.shutdown();
    expect(events[0]).toEqual({ type: 'workspace.opened', root: launched });
    expect(events.some((e) => e.type === 'job.state' && e.job.title === 'after the switch')).toBe(true);
    // The open one again is no switch.
    expect(result<KnownWorkspace>(await workspaces.call('workspace.open', { id: await idOf(launched) })).current).toBe(true);
    expect(computes).toHaveLength(2);
    await workspaces.close();
  });

  it('refuses while the open workspace has unfinished jobs, naming them, and opens once they are done', async () => {
    const { first, demo, workspaces, computes, idOf } = setup();
    const release = deferred();
    const job = computes[0]!.context.jobs.start({ kind: 'harvest', title: 'harvest fam', pausable: false, run: async () => (await release.promise, { wrote: [], summary: {} }) });
    const refused = await workspaces.call('workspace.open', { id: await idOf(demo) });
    expect(refused).toEqual({
      ok: false,
      error: { code: 'conflict', message: expect.stringContaining(`workspace.open: ${first} has unfinished jobs: job ${job.id} (harvest fam, running); wait for them to finish, or cancel them on the Train screen`) },
    });
    expect(workspaces.current()).toBe(first);
    expect(computes).toHaveLength(1);
    release.resolve();
    await computes[0]!.context.jobs.shutdown();
    expect(result<KnownWorkspace>(await workspaces.call('workspace.open', { id: await idOf(demo) })).path).toBe(demo);
    await workspaces.close();
  });

  it('refuses every other call while it switches, so none starts work in the workspace being closed', async () => {
    const starting = deferred();
    const { launched, workspaces, idOf } = setup({ spawn: (folder) => new InProcessCompute(folder, starting.promise) });
    const switching = workspaces.call('workspace.open', { id: await idOf(launched) });
    await new Promise((resolve) => setImmediate(resolve));
    expect(await workspaces.call('jobs.list', {})).toEqual({ ok: false, error: { code: 'conflict', message: `jobs.list: the app is opening ${launched}; ask again once it is open` } });
    starting.resolve();
    expect((await switching).ok).toBe(true);
    expect((await workspaces.call('jobs.list', {})).ok).toBe(true);
    await workspaces.close();
  });

  it('keeps the open workspace when the new compute process cannot start', async () => {
    const { first, launched, workspaces, computes, idOf } = setup({
      spawn: (folder) => new InProcessCompute(folder, Promise.reject(new Error('no node found'))),
    });
    const answer = await workspaces.call('workspace.open', { id: await idOf(launched) });
    expect(answer).toEqual({ ok: false, error: { code: 'internal', message: `workspace.open: the compute process for ${launched} could not start, so ${first} stays open: no node found` } });
    expect(workspaces.current()).toBe(first);
    expect(computes.map((c) => c.closed)).toEqual([false, true]);
    expect(result<WorkspaceListing>(await workspaces.call('workspace.list', {})).root).toBe(first);
    await workspaces.close();
  });

  it('takes ids only: a path, a made-up id or an unknown field is refused, and nothing is opened', async () => {
    const { base, workspaces, computes } = setup();
    const outside = path.join(base, 'not-known');
    mkdirSync(outside);
    expect(await workspaces.call('workspace.open', { id: outside })).toEqual({
      ok: false,
      error: { code: 'bad_request', message: `workspace.open: "id" must be a workspace id from workspace.recent (16 hex digits), got ${JSON.stringify(outside)}` },
    });
    expect(await workspaces.call('workspace.open', { id: workspaceId(outside) })).toEqual({
      ok: false,
      error: { code: 'not_found', message: `workspace.open: no known workspace has id "${workspaceId(outside)}"; workspace.recent lists the ones this app may open` },
    });
    expect(await workspaces.call('workspace.open', { id: workspaceId(outside), path: outside })).toMatchObject({ ok: false, error: { code: 'bad_request', message: 'workspace.open: unknown field "path"; expected id' } });
    expect(computes).toHaveLength(1);
  });

  it('creates workspaces by name under the root only, then opens them', async () => {
    const { base, root, workspaces, computes } = setup();
    for (const name of ['../escape', 'a/b', '.hidden', '/abs']) {
      expect(await workspaces.call('workspace.create', { name }), name).toMatchObject({ ok: false, error: { code: 'bad_request', message: expect.stringContaining('workspace.create: "name" must be a name of letters, digits') } });
    }
    expect(existsSync(path.join(base, 'escape'))).toBe(false);
    const made = result<KnownWorkspace>(await workspaces.call('workspace.create', { name: 'second' }));
    expect(made).toMatchObject({ path: path.join(root!, 'second'), name: 'second', sources: ['root'], current: false });
    expect(await workspaces.call('workspace.create', { name: 'second' })).toEqual({
      ok: false,
      error: { code: 'conflict', message: `workspace.create: ${path.join(root!, 'second')} already exists; open it from the list, or choose another name` },
    });
    await workspaces.call('workspace.open', { id: made.id });
    expect(computes[1]!.folder).toBe(path.join(root!, 'second'));
    // The compute process lays the new workspace out.
    expect(existsSync(path.join(root!, 'second', 'saes'))).toBe(true);
    await workspaces.close();
  });

  it('creates nothing without a workspaces root, and says how to get one', async () => {
    const { workspaces } = setup({ root: false });
    expect(result<WorkspaceChoices>(await workspaces.call('workspace.recent', {})).createRoot).toBeNull();
    expect(await workspaces.call('workspace.create', { name: 'second' })).toMatchObject({
      ok: false,
      error: { code: 'not_available', message: expect.stringContaining('started without a workspaces root (`sae-explorer serve --workspaces-root DIR`)') },
    });
  });
});
