// One-line progress text for harvest and UMAP runs on a terminal or a log.
import type { HarvestEvent } from './harvest-job.js';

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

export function harvestEventText(e: HarvestEvent): string {
  if ('windowsDone' in e) {
    const pass = e.stage === 'statistics' ? 'pass 1/2 (statistics)' : 'pass 2/2 (contexts)';
    return `harvest ${pass}: ${e.windowsDone}/${e.windowsTotal} windows, ${Math.round(e.tokensPerSecond)} tokens/s, ETA ${formatSeconds(e.etaSeconds)}`;
  }
  return `harvest ${e.stage} (SAE ${e.saeId}): ${e.done}/${e.total}`;
}

/** Calls `write` for the first event of each stage and then at most every `everyMs`. */
export function throttledLines(write: (line: string) => void, everyMs = 2000): (e: HarvestEvent) => void {
  let lastStage = '';
  let last = 0;
  return (e) => {
    const key = `${e.stage}:${'saeId' in e ? e.saeId : ''}`;
    const now = Date.now();
    if (key === lastStage && now - last < everyMs) return;
    lastStage = key;
    last = now;
    write(harvestEventText(e));
  };
}
