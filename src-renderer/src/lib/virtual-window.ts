// The rows a virtualised list renders: only those in (or near) the viewport, so a list of 100k
// latents costs as much as a list of 40.

export interface WindowInput {
  /** Rows in the whole list. */
  total: number;
  /** Fixed height of one row, px. */
  rowHeight: number;
  /** Scroll offset of the list's viewport, px. */
  scrollTop: number;
  /** Height of the viewport, px. */
  viewportHeight: number;
  /** Extra rows kept above and below, so fast scrolling does not show gaps. */
  overscan: number;
}

export interface RowWindow {
  /** First row rendered (inclusive). */
  start: number;
  /** Last row rendered (exclusive). */
  end: number;
  /** Space above the first rendered row, px. */
  padTop: number;
  /** Height of all rows, px. */
  totalHeight: number;
}

export function rowWindow({ total, rowHeight, scrollTop, viewportHeight, overscan }: WindowInput): RowWindow {
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const visible = Math.ceil(Math.max(0, viewportHeight) / rowHeight) + 1;
  const start = Math.max(0, Math.min(total, first - overscan));
  const end = Math.max(start, Math.min(total, first + visible + overscan));
  return { start, end, padTop: start * rowHeight, totalHeight: total * rowHeight };
}

/** The scroll offset that brings `row` fully into view, or null when it already is. */
export function scrollToReveal(row: number, rowHeight: number, scrollTop: number, viewportHeight: number): number | null {
  const top = row * rowHeight;
  if (top < scrollTop) return top;
  if (top + rowHeight > scrollTop + viewportHeight) return top + rowHeight - viewportHeight;
  return null;
}
