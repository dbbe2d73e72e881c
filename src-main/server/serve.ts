// `sae-explorer serve`: the compute process plus the browser-mode server, until SIGINT/SIGTERM.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { requestDemoBuild } from '../demo/request.js';
import { ComputeHost, findAppRoot } from '../jobs/host.js';
import { startApiServer, type ApiServer } from './server.js';

export interface ServeOptions {
  workspace: string;
  host?: string;
  port?: number;
  /** Renderer build; default <app root>/out/renderer. */
  rendererDir?: string;
  /** Where the URL line goes; default stdout. */
  print?: (line: string) => void;
  /** Build the demo in the workspace when it is not built (demo.build): it is the demo workspace. Default false. */
  buildDemo?: boolean;
}

export interface RunningServe {
  server: ApiServer;
  compute: ComputeHost;
  stop(): Promise<void>;
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
  const compute = new ComputeHost({ workspace, log: (line) => print(`sae-explorer: ${line}`) });
  await compute.start();
  let server: ApiServer;
  try {
    server = await startApiServer({ backend: compute, rendererDir, host: options.host, port: options.port, workspace });
  } catch (err) {
    await compute.close();
    throw err;
  }
  if (options.host && !['127.0.0.1', 'localhost', '::1'].includes(options.host)) {
    print(`warning: listening on ${options.host}, not loopback; anyone who can reach it and has the token can use this workspace`);
  }
  print(`sae-explorer: workspace ${workspace}`);
  print(`sae-explorer: open ${server.url}`);
  if (options.buildDemo) {
    try {
      const line = await requestDemoBuild(compute);
      if (line) print(`sae-explorer: ${line}`);
    } catch (err) {
      print(`sae-explorer: the demo workspace cannot be built: ${(err as Error).message}`);
    }
  }
  return {
    server,
    compute,
    stop: async () => {
      await server.close();
      await compute.close();
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
