// One batch of harvested windows as the statistics see it: the windows' tokens and one SAE's
// activations, either dense [rows, dSae] or, for top-k SAEs, the k kept latents per row — which is
// dSae/k times less to download and to scan (65,536 latents at k 32: 2,048×).

export interface ActivationBatch {
  /** Token ids of the windows, [windows × ctx] flattened. */
  tokens: Int32Array;
  /** Dense latent activations, [windows × ctx, dSae] row-major; absent when `sparse` is given. */
  acts?: Float32Array;
  /** Per row, the k kept latents and their activations (zeros allowed): [rows, k] each. */
  sparse?: { values: Float32Array; indices: Int32Array; k: number };
  /** Tokens per window. */
  ctx: number;
  dSae: number;
  /** Index of this batch's first window in the whole harvest (identifies contexts across batches). */
  firstWindow: number;
}

/** Calls `visit` for every positive activation of the batch, row by row. */
export function forEachActive(batch: ActivationBatch, visit: (row: number, latent: number, value: number) => void): void {
  const rows = batch.tokens.length;
  if (batch.sparse) {
    const { values, indices, k } = batch.sparse;
    for (let row = 0; row < rows; row++) {
      for (let j = row * k; j < (row + 1) * k; j++) if (values[j] > 0) visit(row, indices[j], values[j]);
    }
    return;
  }
  const acts = denseActs(batch);
  const { dSae } = batch;
  for (let row = 0; row < rows; row++) {
    const base = row * dSae;
    for (let latent = 0; latent < dSae; latent++) if (acts[base + latent] > 0) visit(row, latent, acts[base + latent]);
  }
}

/** The activation of `latent` at batch row `row` (0 when it is not among a sparse row's k). */
export function activationAt(batch: ActivationBatch, row: number, latent: number): number {
  if (batch.sparse) {
    const { values, indices, k } = batch.sparse;
    for (let j = row * k; j < (row + 1) * k; j++) if (indices[j] === latent) return Math.max(0, values[j]);
    return 0;
  }
  return denseActs(batch)[row * batch.dSae + latent];
}

function denseActs(batch: ActivationBatch): Float32Array {
  if (!batch.acts) throw new Error('activation batch has neither dense acts nor a sparse top-k code');
  return batch.acts;
}

/**
 * Reduces a batch to one candidate per window and cell: the row of the window's strongest activation
 * in that cell (the earliest on ties). A cell is a latent, or a finer key of one (a latent's activation
 * interval), given by `cellOf`. The harvest keeps one record per window, as Neuronpedia does, so two
 * peaks of one latent in a window do not store the same text twice centred on different tokens.
 * Batches hold whole windows, so a window's peak is final when its batch is done.
 */
export class WindowPeaks {
  private readonly value: Float32Array;
  private readonly row: Int32Array;
  private readonly latent: Int32Array;
  private readonly touched: Int32Array;

  constructor(readonly cells: number) {
    this.value = new Float32Array(cells);
    this.row = new Int32Array(cells);
    this.latent = new Int32Array(cells);
    this.touched = new Int32Array(cells);
  }

  forEach(batch: ActivationBatch, cellOf: (latent: number, value: number) => number, visit: (row: number, latent: number, value: number) => void): void {
    let window = -1;
    let touched = 0;
    const flush = () => {
      for (let i = 0; i < touched; i++) {
        const cell = this.touched[i];
        visit(this.row[cell], this.latent[cell], this.value[cell]);
        this.value[cell] = 0;
      }
      touched = 0;
    };
    forEachActive(batch, (row, latent, v) => {
      const w = Math.floor(row / batch.ctx);
      if (w !== window) {
        flush();
        window = w;
      }
      const cell = cellOf(latent, v);
      // forEachActive passes only v > 0, so a zero marks a cell not yet seen in this window.
      if (this.value[cell] === 0) this.touched[touched++] = cell;
      if (v > this.value[cell]) {
        this.value[cell] = v;
        this.row[cell] = row;
        this.latent[cell] = latent;
      }
    });
    flush();
  }
}
