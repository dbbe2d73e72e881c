// Colours of the members of a family (one per dictionary size), the same on every chart.
const PALETTE = ['#6aa7ff', '#ffb057', '#7ee0a1', '#f07ac8', '#c6a6ff', '#ffe066', '#5fd3e0', '#ff7a7a'];

export function memberColor(index: number): string {
  return PALETTE[index % PALETTE.length]!;
}
