// `npm start`: builds the app, then opens it in Electron — or, where the Electron binary is not
// installed (its download is blocked on some machines), says so in one line and serves the same UI
// in browser mode, printing the URL. Arguments after `npm start --` go to Electron. Unless another
// workspace was chosen, either opens the checkout's ./workspace, the one `npm run demo` fills, and
// builds the demo there first when it is not built yet.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { findAppRoot } from '../jobs/host.js';
import { findElectronBinary } from './electron-binary.js';
import { runElectron, sandboxAdvice } from './launcher.js';
import { DEMO_WORKSPACE_ENV, settingsRecent } from './workspace.js';

function run(command: string, args: string[], cwd: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

async function main(): Promise<number> {
  const appRoot = findAppRoot();
  const built = await run(process.execPath, [path.join(appRoot, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'], appRoot);
  if (built !== 0) return built;
  const demo = path.resolve(process.env[DEMO_WORKSPACE_ENV] || path.join(appRoot, 'workspace'));
  const electron = findElectronBinary(appRoot);
  if ('binary' in electron) {
    const exit = await runElectron(electron.binary, [appRoot, ...process.argv.slice(2)], { cwd: appRoot, env: { ...process.env, [DEMO_WORKSPACE_ENV]: demo } });
    const advice = sandboxAdvice(exit, electron.binary);
    if (advice) process.stderr.write(advice);
    return exit.code ?? 1;
  }
  process.stdout.write(`sae-explorer: the Electron binary is not available here (${electron.missing}); serving the same UI in browser mode instead.\n`);
  const { serveUntilSignal } = await import('../server/serve.js');
  const { defaultUserData } = await import('./settings.js');
  const workspace = path.resolve(process.env.SAE_EXPLORER_WORKSPACE || demo);
  await serveUntilSignal({ workspace, demoWorkspace: demo, recent: settingsRecent(defaultUserData()) });
  return 0;
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    process.stderr.write(`sae-explorer: ${(err as Error).message}\n`);
    process.exitCode = 1;
  },
);
