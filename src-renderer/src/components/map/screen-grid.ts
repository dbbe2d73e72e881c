// Picking by a uniform grid over screen space: points are bucketed into cells of `cell` pixels with
// one counting sort (two passes, typed arrays only), so finding the point under the cursor looks at
// a handful of cells instead of all 100k points. Points are drawn at a fixed pixel size (no size
// attenuation), so a radius in pixels is the same hit area for every point.

export class ScreenGrid {
  private constructor(
    private readonly screen: Float32Array,
    private readonly cell: number,
    private readonly columns: number,
    private readonly rows: number,
    /** [cells + 1] where each cell's run starts in `items`. */
    private readonly starts: Int32Array,
    /** Point indices ordered by cell. */
    private readonly items: Int32Array,
  ) {}

  /** `screen` is [count * 3] (x px, y px, depth) from projectToScreen; NaN points are left out. */
  static build(screen: Float32Array, width: number, height: number, cell: number): ScreenGrid {
    if (!(cell > 0)) throw new Error(`ScreenGrid: cell must be a positive number of pixels, got ${cell}`);
    const columns = Math.max(1, Math.ceil(width / cell));
    const rows = Math.max(1, Math.ceil(height / cell));
    const count = screen.length / 3;
    const cellOf = new Int32Array(count);
    const starts = new Int32Array(columns * rows + 1);
    for (let i = 0; i < count; i++) {
      const x = screen[3 * i]!;
      const y = screen[3 * i + 1]!;
      if (!(x >= 0 && x < width && y >= 0 && y < height)) {
        cellOf[i] = -1;
        continue;
      }
      const c = Math.floor(y / cell) * columns + Math.floor(x / cell);
      cellOf[i] = c;
      starts[c + 1]!++;
    }
    for (let c = 0; c < columns * rows; c++) starts[c + 1]! += starts[c]!;
    const items = new Int32Array(starts[columns * rows]!);
    const fill = starts.slice(0, columns * rows);
    for (let i = 0; i < count; i++) {
      const c = cellOf[i]!;
      if (c >= 0) items[fill[c]!++] = i;
    }
    return new ScreenGrid(screen, cell, columns, rows, starts, items);
  }

  /** Points on screen (inside the canvas and in front of the camera). */
  get size(): number {
    return this.items.length;
  }

  /**
   * The point nearest to (x, y) within `radius` pixels, or -1. Among points at the same pixel
   * distance the one nearer the camera wins, so the dot you see on top is the one you get.
   */
  nearest(x: number, y: number, radius: number): number {
    const c0 = Math.max(0, Math.floor((x - radius) / this.cell));
    const c1 = Math.min(this.columns - 1, Math.floor((x + radius) / this.cell));
    const r0 = Math.max(0, Math.floor((y - radius) / this.cell));
    const r1 = Math.min(this.rows - 1, Math.floor((y + radius) / this.cell));
    let best = -1;
    let bestDistance = radius * radius;
    let bestDepth = Infinity;
    for (let r = r0; r <= r1; r++) {
      for (let c = c0; c <= c1; c++) {
        const cellIndex = r * this.columns + c;
        for (let k = this.starts[cellIndex]!; k < this.starts[cellIndex + 1]!; k++) {
          const i = this.items[k]!;
          const dx = this.screen[3 * i]! - x;
          const dy = this.screen[3 * i + 1]! - y;
          const distance = dx * dx + dy * dy;
          const depth = this.screen[3 * i + 2]!;
          if (distance < bestDistance || (distance === bestDistance && depth < bestDepth)) {
            best = i;
            bestDistance = distance;
            bestDepth = depth;
          }
        }
      }
    }
    return best;
  }
}
