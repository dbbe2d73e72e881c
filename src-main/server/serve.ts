// `sae-explorer serve`: the compute process plus the browser-mode server, until SIGINT/SIGTERM. The
// page may open the workspaces the server knows (WorkspaceCatalog): those named at launch, the demo
// workspace, the remembered ones, and folders of the workspaces root, where it may create new ones.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { requestDemoBuild } from '../demo/request.js';
import { ComputeHost, findAppRoot } from '../jobs/host.js';
import { WorkspaceSwitch } from '../jobs/switch.js';
import { WorkspaceCatalog, type RecentWorkspaces } from '../jobs/workspace/catalog.js';
import { startApiServer, type ApiServer } from './server.js';

export interface ServeOptions {
  /** The workspace opened first. */
  workspace: string;
  /** Further workspaces the page may open (`serve --workspace A --workspace B`). */
  launched?: string[];
  /** Where the page may create workspaces by name (`--workspaces-root`); none by default. */
  workspacesRoot?: string;
  /** The remembered workspaces; default a list kept for this server's life only. */
  recent?: RecentWorkspaces;
  host?: string;
  port?: number;
  /** Renderer build; default <app root>/out/renderer. */
  rendererDir?: string;
  /** Where the URL line goes; default stdout. */
  print?: (line: string) => void;
  /** The demo workspace: listed, and built (demo.build) whenever it is opened and not built yet. */
  demoWorkspace?: string;
}

export interface RunningServe {
  server: ApiServer;
  workspaces: WorkspaceSwitch<ComputeHost>;
  /** The open workspace's compute process. */
  readonly compute: ComputeHost;
  stop(): Promise<void>;
}

/** Recent workspaces kept in memory, for a server started without the settings file. */
export function recentInMemory(): RecentWorkspaces {
  let folders: string[] = [];
  return {
    list: () => folders.filter((folder) => existsSync(folder)),
    remember: (folder) => void (folders = [folder, ...folders.filter((other) => other !== folder)]),
  };
}

export function defaultRendererDir(): string {
  return path.join(findAppRoot(), 'out', 'renderer');
}

export async function serve(options: ServeOptions): Promise<RunningServe> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const rendererDir = path.resolve(options.rendererDir ?? defaultRendererDir());
  if (!existsSync(path.join(rendererDir, 'index.html'))) {
    throw new Error(`the renderer is not built: ${path.join(rendererDir, 'index.html')} is missing; run \`npm run build\` first`);
  }
  const workspace = path.resolve(options.workspace);
  const spawn = (folder: string): ComputeHost => new ComputeHost({ workspace: folder, log: (line) => print(`sae-explorer: ${line}`) });
  const demo = options.demoWorkspace === undefined ? undefined : path.resolve(options.demoWorkspace);
  const buildDemo = async (compute: ComputeHost): Promise<void> => {
    try {
      const line = await requestDemoBuild(compute);
      if (line) print(`sae-explorer: ${line}`);
    } catch (err) {
      print(`sae-explorer: the demo workspace cannot be built: ${(err as Error).message}`);
    }
  };
  const recent = options.recent ?? recentInMemory();
  const catalog = new WorkspaceCatalog({ launched: [workspace, ...(options.launched ?? [])], demo, root: options.workspacesRoot, recent });
  const compute = spawn(workspace);
  await compute.start();
  recent.remember(workspace);
  const workspaces = new WorkspaceSwitch({
    catalog,
    folder: workspace,
    backend: compute,
    spawn,
    opened: (folder, opened) => {
      print(`sae-explorer: workspace ${folder}`);
      if (folder === demo) void buildDemo(opened);
    },
  });
  let server: ApiServer;
  try {
    server = await startApiServer({ backend: workspaces, rendererDir, host: options.host, port: options.port, workspace: () => workspaces.current() });
  } catch (err) {
    await workspaces.close();
    throw err;
  }
  if (options.host && !['127.0.0.1', 'localhost', '::1'].includes(options.host)) {
    print(`warning: listening on ${options.host}, not loopback; anyone who can reach it and has the token can use this workspace`);
  }
  print(`sae-explorer: workspace ${workspace}`);
  print(`sae-explorer: open ${server.url}`);
  if (workspace === demo) await buildDemo(compute);
  return {
    server,
    workspaces,
    get compute() {
      return workspaces.compute;
    },
    stop: async () => {
      await server.close();
      await workspaces.close();
    },
  };
}

/** Serves until the process is asked to stop. */
export async function serveUntilSignal(options: ServeOptions): Promise<void> {
  const running = await serve(options);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await running.stop();
}
