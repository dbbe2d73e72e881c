import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('serve')
    .description('serve the app in a browser: the UI and the API on 127.0.0.1 behind a random token (prints the URL)')
    .option('--port <n>', 'port to listen on (0 = any free port)', '0')
    .option('--host <address>', 'address to bind; anything but loopback exposes the workspace to the network', '127.0.0.1')
    .option('--workspace <dir>', 'workspace folder (models, datasets, SAEs, databases)', process.env.SAE_EXPLORER_WORKSPACE ?? 'workspace')
    .action(async (opts: { port: string; host: string; workspace: string }) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be an integer in 0..65535, got "${opts.port}"`);
      const { serveUntilSignal } = await import('../../server/serve.js');
      await serveUntilSignal({ workspace: opts.workspace, host: opts.host, port });
    });
}
