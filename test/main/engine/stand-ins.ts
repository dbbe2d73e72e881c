// Stand-ins for a user's machine, for running the real CLI in a child process: @tensorflow/tfjs-node
// and @tensorflow/tfjs-node-gpu packages put on the module path ahead of whatever is installed (a
// --require preload answers their resolution, so the test behaves the same where the real ones are
// installed), a fake nvidia-smi on PATH, and a folder of CUDA library files.
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { CUDA_LIBRARIES } from '../../../src-main/engine/cuda.js';

const require = createRequire(import.meta.url);
const APP_ROOT = path.resolve(import.meta.dirname, '../../..');

/**
 * 'fails': throws on load, as when libtensorflow is absent. 'gpu' / 'cpu': loads and registers a
 * `tensorflow` backend (tfjs's CPU kernels underneath) whose isUsingGpuDevice says whether TensorFlow
 * found a GPU. null: not installed.
 */
export type StandIn = 'fails' | 'gpu' | 'cpu' | null;

export interface Machine {
  gpuPackage: StandIn;
  cpuPackage: StandIn;
  /** nvidia-smi lists one 24 GiB GPU; without it nvidia-smi fails as it does without a driver. */
  nvidiaGpu: boolean;
  /** Free memory nvidia-smi reports; default 20480 MiB. */
  freeMiB?: number;
  /** The driver version nvidia-smi reports; default 535.54.03. */
  driver?: string;
  /** The TensorFlow library tfjs-node-gpu's install step downloads into deps/lib; default present. */
  libtensorflow?: boolean;
  /** CUDA library files in the folder given as SAE_EXPLORER_CUDA_LIB_DIR (pip --target layout), by soname. */
  cudaFiles: string[];
}

export const ALL_CUDA_FILES = CUDA_LIBRARIES.map((lib) => lib.linux);

function standInSource(name: string, kind: Exclude<StandIn, null>, log: string): string {
  const record = `require('node:fs').appendFileSync(${JSON.stringify(log)}, ${JSON.stringify(`${name}\n`)});`;
  if (kind === 'fails') return `${record}\nthrow new Error('libtensorflow.so.2: cannot open shared object file: No such file or directory');\n`;
  return `${record}
const tf = require(${JSON.stringify(require.resolve('@tensorflow/tfjs'))});
const { MathBackendCPU } = require(${JSON.stringify(require.resolve('@tensorflow/tfjs-backend-cpu'))});
for (const kernel of tf.getKernelsForBackend('cpu')) tf.registerKernel({ ...kernel, backendName: 'tensorflow' });
tf.registerBackend('tensorflow', () => Object.assign(new MathBackendCPU(), { isUsingGpuDevice: ${kind === 'gpu'} }), 3);
`;
}

function writePackage(dir: string, name: string, kind: StandIn, log: string, libtensorflow = true): string | null {
  if (kind === null) return null;
  mkdirSync(dir, { recursive: true });
  if (libtensorflow) {
    mkdirSync(path.join(dir, 'deps', 'lib'), { recursive: true });
    writeFileSync(path.join(dir, 'deps', 'lib', 'libtensorflow.so.2.9.1'), '');
  }
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, version: '4.22.0-stand-in', main: 'index.js' }));
  writeFileSync(path.join(dir, 'index.js'), standInSource(name, kind, log));
  return dir;
}

const PRELOAD = `// Resolves the two TensorFlow bindings to this test's stand-ins (or to nothing) before node_modules.
const Module = require('node:module');
const path = require('node:path');
const standIns = JSON.parse(process.env.SAE_TEST_STAND_INS);
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  for (const [name, dir] of Object.entries(standIns)) {
    if (request !== name && !request.startsWith(name + '/')) continue;
    if (dir === null) throw Object.assign(new Error("Cannot find module '" + request + "'"), { code: 'MODULE_NOT_FOUND' });
    return path.join(dir, request === name ? 'index.js' : request.slice(name.length + 1));
  }
  return resolve.call(this, request, ...rest);
};
`;

const nvidiaSmi = (freeMiB: number, driver: string): string => `#!/bin/sh
case "$*" in
  *query-compute-apps*) ;;
  *) echo "0, GPU-5ee1ab1e-0000-4000-8000-000000000000, Stand-in RTX 3090, 24576, ${freeMiB}, ${driver}" ;;
esac
`;

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Names of the stand-in packages the CLI required, in order. */
  loaded: string[];
}

/** Builds the machine under `root` and runs `sae-explorer ...args` on it. */
export async function runOnMachine(root: string, machine: Machine, ...args: string[]): Promise<RunResult> {
  const log = path.join(root, 'loaded.log');
  writeFileSync(log, '');
  const standIns = {
    '@tensorflow/tfjs-node-gpu': writePackage(path.join(root, 'packages', 'tfjs-node-gpu'), '@tensorflow/tfjs-node-gpu', machine.gpuPackage, log, machine.libtensorflow),
    '@tensorflow/tfjs-node': writePackage(path.join(root, 'packages', 'tfjs-node'), '@tensorflow/tfjs-node', machine.cpuPackage, log),
  };
  const preload = path.join(root, 'stand-ins.cjs');
  writeFileSync(preload, PRELOAD);
  const bin = path.join(root, 'bin');
  mkdirSync(bin, { recursive: true });
  // An empty loader cache, so libraries installed on the test machine itself do not count.
  writeFileSync(path.join(bin, 'ldconfig'), '#!/bin/sh\n');
  chmodSync(path.join(bin, 'ldconfig'), 0o755);
  // Without a GPU, nvidia-smi fails the way it does without a driver (exit 9), shadowing any real one.
  writeFileSync(path.join(bin, 'nvidia-smi'), machine.nvidiaGpu ? nvidiaSmi(machine.freeMiB ?? 20480, machine.driver ?? '535.54.03') : '#!/bin/sh\nexit 9\n');
  chmodSync(path.join(bin, 'nvidia-smi'), 0o755);
  const cudaFolder = path.join(root, 'cuda11');
  for (const file of machine.cudaFiles) {
    const lib = path.join(cudaFolder, 'nvidia', file.replace(/^lib|\.so.*$/g, ''), 'lib');
    mkdirSync(lib, { recursive: true });
    writeFileSync(path.join(lib, file), '');
  }
  mkdirSync(cudaFolder, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    PATH: [bin, path.dirname(process.execPath)].join(':'),
    HOME: root,
    SAE_TEST_STAND_INS: JSON.stringify(standIns),
    SAE_EXPLORER_CUDA_LIB_DIR: cudaFolder,
  };
  const child = spawn(process.execPath, ['--require', preload, path.join(APP_ROOT, 'bin', 'sae-explorer.mjs'), ...args], { cwd: APP_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  return { code, stdout, stderr, loaded: readFileSync(log, 'utf8').split('\n').filter(Boolean) };
}
