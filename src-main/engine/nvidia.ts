// NVIDIA GPUs as nvidia-smi reports them, the one TensorFlow computes on, and its free memory. The
// driver's tool is the one source that works the same with or without TensorFlow loaded.
import { execFileSync } from 'node:child_process';
import type { DeviceMemory, GpuDevice } from '../../src-shared/api/engine.js';

const MIB = 2 ** 20;

/** nvidia-smi's output, or null when it cannot run (no NVIDIA driver, or not on PATH). */
function nvidiaSmi(args: string[]): string | null {
  try {
    return execFileSync('nvidia-smi', [...args, '--format=csv,noheader,nounits'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 });
  } catch {
    return null;
  }
}

function rows(out: string): string[][] {
  return out.split('\n').map((line) => line.trim()).filter(Boolean).map((line) => line.split(', '));
}

/** Fields: index, uuid, name (may hold ", "), memory.total, memory.free, driver_version. */
function parseGpu(fields: string[]): GpuDevice | null {
  if (fields.length < 6) return null;
  const total = Number(fields.at(-3));
  const free = Number(fields.at(-2));
  // Some boards report "[N/A]" for memory; such a device cannot be budgeted.
  if (!Number.isFinite(total) || !Number.isFinite(free)) return null;
  return { id: fields[0]!, uuid: fields[1]!, name: fields.slice(2, -3).join(', '), driver: fields.at(-1)!, memory: { totalBytes: total * MIB, freeBytes: free * MIB } };
}

const GPU_QUERY = '--query-gpu=index,uuid,name,memory.total,memory.free,driver_version';

export interface GpuListing {
  gpus: GpuDevice[];
  /** Why no GPU is listed; null when some are. */
  problem: string | null;
}

export function listGpus(): GpuListing {
  const out = nvidiaSmi([GPU_QUERY]);
  if (out === null) return { gpus: [], problem: 'no NVIDIA GPU found (nvidia-smi is missing or fails, so there is no NVIDIA driver)' };
  const gpus = rows(out).map(parseGpu).filter((g): g is GpuDevice => g !== null);
  return { gpus, problem: gpus.length > 0 ? null : 'nvidia-smi lists no GPU' };
}

/**
 * The GPU TensorFlow's GPU:0 is: the first entry of CUDA_VISIBLE_DEVICES (an index or a UUID prefix),
 * else the first GPU. Indices agree with nvidia-smi's because the engine sets CUDA_DEVICE_ORDER to
 * PCI_BUS_ID, nvidia-smi's order, before TensorFlow loads.
 */
export function computeGpu(listing: GpuListing, env: NodeJS.ProcessEnv = process.env): { gpu: GpuDevice | null; problem: string | null } {
  if (listing.problem) return { gpu: null, problem: listing.problem };
  const visible = env.CUDA_VISIBLE_DEVICES;
  if (visible === undefined) return { gpu: listing.gpus[0]!, problem: null };
  const first = visible.split(',')[0]!.trim();
  const gpu = listing.gpus.find((g) => g.id === first || (first.startsWith('GPU-') && g.uuid.startsWith(first))) ?? null;
  return gpu ? { gpu, problem: null } : { gpu: null, problem: `CUDA_VISIBLE_DEVICES="${visible}" hides every GPU (nvidia-smi lists ${listing.gpus.map((g) => g.id).join(', ')})` };
}

/** The device's memory now, as the driver reports it; null when nvidia-smi cannot say. */
export function queryDeviceMemory(gpu: GpuDevice): DeviceMemory | null {
  const out = nvidiaSmi(['-i', gpu.uuid, GPU_QUERY]);
  const now = out === null ? null : parseGpu(rows(out)[0] ?? []);
  return now?.memory ?? null;
}

/** Bytes a process holds on the device (CUDA context plus TensorFlow's pool); null when the driver does not list it (e.g. in a container). */
export function processDeviceBytes(gpu: GpuDevice, pid: number): number | null {
  const out = nvidiaSmi(['--query-compute-apps=gpu_uuid,pid,used_memory']);
  if (out === null) return null;
  const row = rows(out).find((fields) => fields[0] === gpu.uuid && Number(fields[1]) === pid);
  const used = row ? Number(row[2]) : NaN;
  return Number.isFinite(used) ? used * MIB : null;
}
