import type { Command } from 'commander';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function register(program: Command): void {
  program
    .command('serve')
    .description('serve the app in a browser: the UI and the API on 127.0.0.1 behind a random token (prints the URL)')
    .option('--port <n>', 'port to listen on (0 = any free port)', '0')
    .option('--host <address>', 'address to bind; anything but loopback exposes the workspace to the network', '127.0.0.1')
    .option('--workspace <dir>', 'workspace folder (models, datasets, SAEs, databases); repeat it to let the page switch between several, the first opens', collect, [])
    .option('--workspaces-root <dir>', 'a folder whose workspaces the page may open, and where it may create new ones by name')
    .option('--demo-workspace <dir>', 'the demo workspace, listed in the page and built when opened (default $SAE_EXPLORER_DEMO_WORKSPACE, else ./workspace of the app)')
    .action(async (opts: { port: string; host: string; workspace: string[]; workspacesRoot?: string; demoWorkspace?: string }) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be an integer in 0..65535, got "${opts.port}"`);
      const path = await import('node:path');
      const { serveUntilSignal } = await import('../../server/serve.js');
      const { findAppRoot } = await import('../../jobs/host.js');
      const { defaultUserData } = await import('../../app/settings.js');
      const { DEMO_WORKSPACE_ENV, settingsRecent } = await import('../../app/workspace.js');
      const [workspace = process.env.SAE_EXPLORER_WORKSPACE ?? 'workspace', ...launched] = opts.workspace;
      await serveUntilSignal({
        workspace,
        launched,
        workspacesRoot: opts.workspacesRoot,
        demoWorkspace: opts.demoWorkspace ?? (process.env[DEMO_WORKSPACE_ENV] || path.join(findAppRoot(), 'workspace')),
        recent: settingsRecent(defaultUserData()),
        host: opts.host,
        port,
      });
    });
}
