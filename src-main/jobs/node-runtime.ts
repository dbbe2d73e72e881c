// Which Node.js runs the compute process. A desktop app started from the Dock, Finder or a .desktop
// file inherits a minimal PATH (/usr/bin:/bin:/usr/sbin:/sbin), without Homebrew, nvm, Volta, fnm or
// asdf, so `node` from PATH alone fails exactly where users install it. The search, first hit wins:
// SAE_EXPLORER_NODE, the app's setting, the node running this command (CLI and `serve`, not
// Electron), the node that worked last time, the login shell's `command -v node` (which reads the
// user's profile, where nvm and friends put themselves on PATH), the usual install folders, then PATH.
// Every candidate must run and report a version ≥ 20.19 (what tsx and the sources need) and, where
// the app says so, load native modules of the ABI its better-sqlite3 was built for.
import { spawn } from 'node:child_process';
import { accessSync, constants, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const MIN_NODE_VERSION = '20.19.0';

export interface NodeRuntime {
  /** Absolute path of the executable. */
  path: string;
  /** What `node --version` printed, e.g. "v22.11.0". */
  version: string;
  /** How it was found, for the log and the app ("login shell /bin/zsh", "PATH", …). */
  source: string;
}

export interface NodeSearch {
  env?: NodeJS.ProcessEnv;
  /** The app's node setting; like SAE_EXPLORER_NODE, a failure is an error rather than a fallthrough. */
  setting?: string;
  /** The node that worked last time; skipped quietly when it no longer qualifies. */
  remembered?: string;
  /** This process's own executable when it is Node (not Electron); default from process.versions. */
  self?: string | null;
  platform?: NodeJS.Platform;
  home?: string;
  /** The usual install folders to try after the login shell; default `wellKnownNodes()`. */
  locations?: Candidate[];
  /**
   * The native-module ABI (`process.versions.modules`) the app's better-sqlite3 was built for
   * (`nativeModuleAbi`); a node of another ABI could not open the store. Unchecked when absent.
   */
  abi?: string;
  /** Bound on each probe (`--version`, the login shell); default 15 s, since a shell profile can be slow. */
  probeTimeoutMs?: number;
}

export interface Candidate {
  path: string;
  source: string;
  /** Chosen by the user: if it does not qualify, say so instead of trying others. */
  explicit?: boolean;
}

/** Finds a qualifying node, or throws listing every candidate tried and why each was refused. */
export async function findNode(search: NodeSearch = {}): Promise<NodeRuntime> {
  const env = search.env ?? process.env;
  const platform = search.platform ?? process.platform;
  const timeoutMs = search.probeTimeoutMs ?? 15_000;
  const refused: string[] = [];
  const seen = new Set<string>();
  for await (const candidate of candidates(search, env, platform, timeoutMs)) {
    if (seen.has(candidate.path)) continue;
    seen.add(candidate.path);
    const verdict = await probe(candidate.path, env, timeoutMs, search.abi);
    if ('version' in verdict) return { path: candidate.path, version: verdict.version, source: candidate.source };
    const reason = `${candidate.path} (${candidate.source}): ${verdict.refused}`;
    if (candidate.explicit) throw new Error(`cannot use ${reason}; point it at a Node.js ≥ ${MIN_NODE_VERSION} executable`);
    refused.push(reason);
  }
  throw new Error(
    `no Node.js ≥ ${MIN_NODE_VERSION} found for the compute process; tried ${refused.length ? refused.join('; ') : 'nothing (no candidates)'}. ` +
      'Install Node.js 20.19 or later (https://nodejs.org), or set SAE_EXPLORER_NODE to its path.',
  );
}

/** True when `version` ("v22.1.0") is at least MIN_NODE_VERSION. */
export function meetsMinimum(version: string): boolean {
  const parsed = parseVersion(version);
  const minimum = parseVersion(`v${MIN_NODE_VERSION}`)!;
  if (!parsed) return false;
  for (let i = 0; i < 3; i++) if (parsed[i] !== minimum[i]) return parsed[i]! > minimum[i]!;
  return true;
}

function parseVersion(version: string): [number, number, number] | null {
  const match = /^v(\d+)\.(\d+)\.(\d+)/.exec(version.trim());
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : null;
}

async function* candidates(search: NodeSearch, env: NodeJS.ProcessEnv, platform: NodeJS.Platform, timeoutMs: number): AsyncGenerator<Candidate> {
  if (env.SAE_EXPLORER_NODE) yield { path: env.SAE_EXPLORER_NODE, source: 'SAE_EXPLORER_NODE', explicit: true };
  if (search.setting) yield { path: search.setting, source: 'the node setting', explicit: true };
  const self = search.self === undefined ? (process.versions.electron ? null : process.execPath) : search.self;
  if (self) yield { path: self, source: 'the node running this command' };
  if (search.remembered) yield { path: search.remembered, source: 'the node used last time' };
  if (platform !== 'win32') {
    const shell = env.SHELL || '/bin/sh';
    const found = await loginShellNode(shell, env, timeoutMs);
    if (found) yield { path: found, source: `login shell ${shell}` };
  }
  yield* search.locations ?? wellKnownNodes(platform, env, search.home ?? os.homedir());
  const exe = platform === 'win32' ? 'node.exe' : 'node';
  const pathApi = platform === 'win32' ? path.win32 : path.posix;
  for (const dir of (env.PATH ?? env.Path ?? '').split(pathApi.delimiter).filter(Boolean)) yield { path: pathApi.join(dir, exe), source: 'PATH' };
}

/** `command -v node` in an interactive login shell, which sources the profile nvm/fnm/asdf edit. */
async function loginShellNode(shell: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string | null> {
  const result = await run(shell, ['-ilc', 'command -v node'], env, timeoutMs);
  if (!result.ok) return null;
  // A profile can print banners before the answer; the answer is the last absolute path printed.
  const lines = result.stdout.split('\n').map((line) => line.trim()).filter((line) => line.startsWith('/'));
  return lines.at(-1) ?? null;
}

/** Install folders of the usual version managers and packagers, newest version first within each. */
export function wellKnownNodes(platform: NodeJS.Platform, env: NodeJS.ProcessEnv, home: string): Candidate[] {
  if (platform === 'win32') {
    const w = path.win32;
    const found: Candidate[] = [];
    if (env.ProgramFiles) found.push({ path: w.join(env.ProgramFiles, 'nodejs', 'node.exe'), source: 'Node.js installer' });
    if (env.LOCALAPPDATA) found.push({ path: w.join(env.LOCALAPPDATA, 'Volta', 'bin', 'node.exe'), source: 'Volta' });
    if (env.ProgramFiles) found.push({ path: w.join(env.ProgramFiles, 'Volta', 'node.exe'), source: 'Volta' });
    const nvmHome = env.NVM_HOME ?? (env.APPDATA ? w.join(env.APPDATA, 'nvm') : null);
    if (nvmHome) found.push(...versionDirs(nvmHome, w).map((dir) => ({ path: w.join(dir, 'node.exe'), source: 'nvm-windows' })));
    return found;
  }
  const p = path.posix;
  const nvmDir = env.NVM_DIR ?? p.join(home, '.nvm');
  const fnmDirs = [env.FNM_DIR, p.join(home, '.local', 'share', 'fnm'), p.join(home, 'Library', 'Application Support', 'fnm'), p.join(home, '.fnm')].filter((d): d is string => !!d);
  const asdfDir = env.ASDF_DATA_DIR ?? p.join(home, '.asdf');
  return [
    { path: '/opt/homebrew/bin/node', source: 'Homebrew' },
    { path: '/usr/local/bin/node', source: 'Homebrew or the Node.js installer' },
    { path: '/opt/local/bin/node', source: 'MacPorts' },
    { path: p.join(env.VOLTA_HOME ?? p.join(home, '.volta'), 'bin', 'node'), source: 'Volta' },
    ...versionDirs(p.join(nvmDir, 'versions', 'node'), p).map((dir) => ({ path: p.join(dir, 'bin', 'node'), source: 'nvm' })),
    ...fnmDirs.flatMap((dir) => versionDirs(p.join(dir, 'node-versions'), p).map((v) => ({ path: p.join(v, 'installation', 'bin', 'node'), source: 'fnm' }))),
    ...versionDirs(p.join(asdfDir, 'installs', 'nodejs'), p).map((dir) => ({ path: p.join(dir, 'bin', 'node'), source: 'asdf' })),
    { path: '/usr/bin/node', source: 'the system package' },
  ];
}

/** Subfolders named like versions ("v22.1.0", "22.1.0"), newest first. */
function versionDirs(parent: string, pathApi: path.PlatformPath): string[] {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return [];
  }
  return names
    .map((name) => ({ name, version: parseVersion(name.startsWith('v') ? name : `v${name}`) }))
    .filter((entry): entry is { name: string; version: [number, number, number] } => entry.version !== null)
    .sort((a, b) => b.version[0] - a.version[0] || b.version[1] - a.version[1] || b.version[2] - a.version[2])
    .map((entry) => pathApi.join(parent, entry.name));
}

/**
 * The ABI better-sqlite3 under `appRoot` was compiled for, read from the symbol Node's addon macro
 * names after it (`node_register_module_v115`); undefined when the module is not there.
 */
export function nativeModuleAbi(appRoot: string): string | undefined {
  let binary: string;
  try {
    binary = readFileSync(path.join(appRoot, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'), 'latin1');
  } catch {
    return undefined;
  }
  return /node_register_module_v(\d+)/.exec(binary)?.[1];
}

async function probe(file: string, env: NodeJS.ProcessEnv, timeoutMs: number, abi: string | undefined): Promise<{ version: string } | { refused: string }> {
  if (!path.isAbsolute(file) && !path.win32.isAbsolute(file)) return { refused: 'not an absolute path' };
  try {
    accessSync(file, constants.X_OK);
  } catch (err) {
    return { refused: (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : `not executable (${(err as Error).message})` };
  }
  // Without ELECTRON_RUN_AS_NODE an Electron binary would not answer --version as node does.
  const { ELECTRON_RUN_AS_NODE: _ignored, ...cleanEnv } = env;
  const result = await run(file, ['--version'], cleanEnv, timeoutMs);
  if (!result.ok) return { refused: result.reason };
  const version = result.stdout.trim();
  if (!parseVersion(version)) return { refused: `--version printed ${JSON.stringify(version.slice(0, 80))}, not a Node.js version` };
  if (!meetsMinimum(version)) return { refused: `${version} is older than ${MIN_NODE_VERSION}` };
  if (abi) {
    const modules = await run(file, ['-p', 'process.versions.modules'], cleanEnv, timeoutMs);
    if (!modules.ok) return { refused: modules.reason };
    const own = modules.stdout.trim();
    if (own !== abi) {
      return { refused: `${version} has native-module ABI ${own}, but better-sqlite3 was built for ABI ${abi}; use the Node.js that ran npm install, or rebuild it with this one (npm rebuild better-sqlite3)` };
    }
  }
  return { version };
}

type RunResult = { ok: true; stdout: string } | { ok: false; reason: string };

/** Runs a command with no stdin (an interactive shell must not wait for input), bounded in time. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'ignore'], timeout: timeoutMs, killSignal: 'SIGKILL' });
    let stdout = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      if (stdout.length < 64 * 1024) stdout += chunk;
    });
    child.on('error', (err) => resolve({ ok: false, reason: err.message }));
    child.on('close', (code, signal) => {
      if (signal === 'SIGKILL') resolve({ ok: false, reason: `no answer within ${Math.round(timeoutMs / 1000)} s` });
      else if (code !== 0) resolve({ ok: false, reason: `exited with ${signal ?? `code ${code}`}` });
      else resolve({ ok: true, stdout });
    });
  });
}
