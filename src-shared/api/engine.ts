// Engine domain of the API contract: which tensor backend the compute process runs on and why, the
// GPU it uses, and the full `doctor` report with the fixes for what is missing.

/** What the user may ask for (`--backend`, env SAE_BACKEND). `auto` takes the best one that works. */
export type BackendChoice = 'auto' | 'gpu' | 'tensorflow' | 'wasm' | 'cpu';
export type BackendName = Exclude<BackendChoice, 'auto'>;

/** The two TensorFlow bindings; both register tfjs's `tensorflow` backend, so a process loads at most one. */
export type TensorflowBinding = '@tensorflow/tfjs-node' | '@tensorflow/tfjs-node-gpu';

export interface DeviceMemory {
  totalBytes: number;
  /** Free on the device as the driver reports it, plus what this process holds but no tensor uses. */
  freeBytes: number;
}

/** An NVIDIA GPU as nvidia-smi reports it. */
export interface GpuDevice {
  /** nvidia-smi's index. */
  id: string;
  uuid: string;
  name: string;
  driver: string;
  memory: DeviceMemory;
}

/** A better backend `auto` passed over. */
export interface SkippedBackend {
  backend: 'gpu' | 'tensorflow';
  /** Why it cannot run here, naming the missing package or library. */
  reason: string;
  /** What to do about it; null when nothing can be done on this machine (no NVIDIA GPU, no CUDA build). */
  fix: string | null;
}

/** The engine of a process: what runs, why nothing better does, and with how many threads. */
export interface EngineReport {
  requested: BackendChoice;
  /** The backend that runs; null when start-up failed (see `error`). */
  choice: BackendName | null;
  /** tfjs's own backend name: 'tensorflow', 'wasm' or 'cpu'. */
  backend: string | null;
  /** The npm package that supplied it. */
  package: string | null;
  /** The TensorFlow binding this process loaded, if any (never both). */
  binding: TensorflowBinding | null;
  /** The GPU TensorFlow computes on; null off the GPU. */
  device: GpuDevice | null;
  /** Better backends `auto` passed over, best first; empty when it got the best or the choice was explicit. */
  skipped: SkippedBackend[];
  /** The one line printed on stderr when `auto` fell back; null when it did not. */
  notice: string | null;
  /** Why the requested backend could not start. */
  error: string | null;
  threads: number | null;
  /** wasm only: whether the SIMD build runs (about 3x faster matmul). */
  wasmSimd: boolean | null;
  tfjsVersion: string;
}

/** One shared library tfjs-node-gpu opens at start (CUDA 11.2 toolkit and cuDNN 8.1). */
export interface CudaLibraryStatus {
  /** Human name, e.g. "cuDNN 8". */
  name: string;
  /** The file the loader looks for on this platform, e.g. "libcudnn.so.8". */
  file: string;
  found: boolean;
  /** Where it was found; null when missing. */
  path: string | null;
}

/** One way to get the missing libraries into a folder of the user's own. */
export interface CudaFix {
  via: 'pip' | 'conda';
  /** The command to run, as is. */
  command: string;
  /** What to do after it. */
  then: string;
}

export interface CudaReport {
  /** The "CUDA libraries folder" setting (SAE_EXPLORER_CUDA_LIB_DIR), null when unset. */
  libraryFolder: string | null;
  /** Folders searched in the loader's order. */
  searched: string[];
  libraries: CudaLibraryStatus[];
  /** Why tfjs-node-gpu cannot use a GPU here; empty when everything is in place. */
  problems: string[];
  /** Ways to get the missing libraries without touching the system CUDA; empty when none are missing. */
  fixes: CudaFix[];
}

/** `sae-explorer doctor --json`, and the app's Doctor panel. */
/** Where GPT-2's inference forward (activations for training, harvest, compare) runs. */
export interface Gpt2ForwardReport {
  /** null: it cannot run as configured (`reason` says why). */
  runtime: 'onnx' | 'tfjs' | null;
  /** onnxruntime-node's version when it loads. */
  version: string | null;
  /** ONNX Runtime's threads when it runs the forward. */
  threads: number | null;
  reason: string;
}

export interface Diagnostics {
  engine: EngineReport;
  gpt2Forward: Gpt2ForwardReport;
  /** Installed version of each backend package, null when absent. */
  packages: Record<string, string | null>;
  gpus: GpuDevice[];
  cuda: CudaReport;
  cpu: { model: string; cores: number; parallelism: number };
  memory: { totalBytes: number; freeBytes: number; rssBytes: number; heapUsedBytes: number; heapLimitBytes: number; tensors: number; tensorBytes: number };
  runtime: { node: string; electron: string | null; platform: string; arch: string; osRelease: string };
  hub: { cacheDir: string; endpoint: string; offline: boolean; tokenSet: boolean };
}
