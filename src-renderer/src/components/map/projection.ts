// World → screen for every point, the input of the picking grid. Runs when the picker is asked after
// the camera moved, never per frame: ~100k multiply-adds of one 4x4 matrix.

/**
 * Writes (x px, y px, depth in [-1, 1]) per point into `out` [count * 3], with (0, 0) the top-left
 * of a `width` x `height` canvas. `viewProjection` is column-major (three.js Matrix4.elements).
 * Points behind the camera or outside the depth range get NaN so the grid skips them.
 */
export function projectToScreen(positions: Float32Array, viewProjection: ArrayLike<number>, width: number, height: number, out: Float32Array): Float32Array {
  const m = viewProjection;
  const count = positions.length / 3;
  if (out.length < count * 3) throw new Error(`projectToScreen: out holds ${out.length / 3} points, need ${count}`);
  for (let i = 0; i < count; i++) {
    const x = positions[3 * i]!;
    const y = positions[3 * i + 1]!;
    const z = positions[3 * i + 2]!;
    const w = m[3]! * x + m[7]! * y + m[11]! * z + m[15]!;
    const depth = (m[2]! * x + m[6]! * y + m[10]! * z + m[14]!) / w;
    if (!(w > 0) || depth < -1 || depth > 1) {
      out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = NaN;
      continue;
    }
    const ndcX = (m[0]! * x + m[4]! * y + m[8]! * z + m[12]!) / w;
    const ndcY = (m[1]! * x + m[5]! * y + m[9]! * z + m[13]!) / w;
    out[3 * i] = ((ndcX + 1) / 2) * width;
    out[3 * i + 1] = ((1 - ndcY) / 2) * height;
    out[3 * i + 2] = depth;
  }
  return out;
}
