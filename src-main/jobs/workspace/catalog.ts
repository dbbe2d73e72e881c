// The workspaces a shell may open from the app: the one open now, the ones named when it was
// started, the demo workspace, the ones opened before (remembered), and the folders of the workspaces
// root `serve` was given, where new ones are created by name. A page chooses from this list by id and
// never sends a path, so no screen can make the server open or create a folder it was not given.
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { ApiError } from '../../../src-shared/api.js';
import type { KnownWorkspace, KnownWorkspaceSource, WorkspaceChoices } from '../../../src-shared/api.js';
import { ENTRY_NAME } from '../params.js';

/** The remembered workspaces (the desktop app's settings.json; `serve` keeps the same list). */
export interface RecentWorkspaces {
  /** Folders opened before that still exist, most recent first. */
  list(): string[];
  remember(folder: string): void;
}

export interface CatalogOptions {
  /** Folders named when the shell started (`serve --workspace`, repeatable). */
  launched?: string[];
  demo?: string;
  /** Where workspace.create makes folders; its subfolders are listed too. */
  root?: string;
  recent: RecentWorkspaces;
}

/** The id of a folder: a hash of its absolute path, so a request carries no path. */
export function workspaceId(folder: string): string {
  return createHash('sha256').update(path.resolve(folder)).digest('hex').slice(0, 16);
}

export class WorkspaceCatalog {
  private readonly launched: string[];
  private readonly demo: string | undefined;
  readonly root: string | null;

  constructor(private readonly options: CatalogOptions) {
    this.launched = (options.launched ?? []).map((folder) => path.resolve(folder));
    this.demo = options.demo === undefined ? undefined : path.resolve(options.demo);
    this.root = options.root === undefined ? null : path.resolve(options.root);
    if (this.root) mkdirSync(this.root, { recursive: true });
  }

  /** Every known workspace, `current` first; folders that no longer exist are left out (but `current`). */
  choices(current: string): WorkspaceChoices {
    const byPath = new Map<string, KnownWorkspaceSource[]>();
    const add = (folder: string, source: KnownWorkspaceSource): void => {
      const sources = byPath.get(folder) ?? [];
      if (!sources.includes(source)) sources.push(source);
      byPath.set(folder, sources);
    };
    const open = path.resolve(current);
    add(open, 'current');
    for (const folder of this.launched) if (existsSync(folder)) add(folder, 'launch');
    if (this.demo) add(this.demo, 'demo');
    for (const folder of this.options.recent.list()) add(path.resolve(folder), 'recent');
    for (const folder of this.rootFolders()) add(folder, 'root');
    const workspaces = [...byPath].map(([folder, sources]): KnownWorkspace => ({
      id: workspaceId(folder),
      path: folder,
      name: path.basename(folder),
      sources,
      current: folder === open,
    }));
    return { workspaces, createRoot: this.root };
  }

  /** Records an opened workspace in the recent list. */
  remember(folder: string): void {
    this.options.recent.remember(path.resolve(folder));
  }

  /** The folder of a known workspace; not_found (naming the request) for any other id. */
  find(method: string, id: string, current: string): KnownWorkspace {
    const known = this.choices(current).workspaces.find((workspace) => workspace.id === id);
    if (!known) throw new ApiError('not_found', `${method}: no known workspace has id "${id}"; workspace.recent lists the ones this app may open`);
    return known;
  }

  /** Makes `<root>/<name>` (a new, empty folder) and answers it; the name is an ENTRY_NAME. */
  create(method: string, name: string): string {
    if (!this.root) {
      throw new ApiError('not_available', `${method}: this app was started without a workspaces root (\`sae-explorer serve --workspaces-root DIR\`), so it creates no workspaces; in the desktop app, create a folder in the Open dialog`);
    }
    const folder = path.join(this.root, name);
    if (existsSync(folder) || isLink(folder)) throw new ApiError('conflict', `${method}: ${folder} already exists; open it from the list, or choose another name`);
    mkdirSync(folder);
    return folder;
  }

  /** The root's subfolders (not hidden, named like workspace entries) whose real path stays inside it. */
  private rootFolders(): string[] {
    if (!this.root) return [];
    const realRoot = realpathSync(this.root);
    const folders: string[] = [];
    for (const name of readdirSync(this.root).sort()) {
      if (!ENTRY_NAME.pattern.test(name)) continue;
      const folder = path.join(this.root, name);
      const real = realOrNull(folder);
      if (real && path.dirname(real) === realRoot && lstatSync(real).isDirectory()) folders.push(folder);
    }
    return folders;
  }
}

function realOrNull(target: string): string | null {
  try {
    return realpathSync(target);
  } catch {
    return null;
  }
}

function isLink(target: string): boolean {
  try {
    return lstatSync(target).isSymbolicLink();
  } catch {
    return false;
  }
}
