// The engine in a few words for the status bar: backend, device and its memory, threads — and
// whether `auto` had to settle for less, so the bar can point at the Doctor panel.
import type { EngineReport } from '../../../src-shared/api.js';
import { formatBytes } from './format.js';

export interface EngineSummary {
  /** "gpu · NVIDIA GeForce RTX 3090 · 20.0 GB free of 24.0 GB · 16 threads" */
  text: string;
  /** Why the engine is not the best one or did not start, when something can be done about it; else null. */
  warning: string | null;
  /** Every reason a better backend was passed over, fixable or not (no NVIDIA GPU); null when none was. */
  detail: string | null;
}

export function summarizeEngine(report: EngineReport): EngineSummary {
  if (!report.choice) return { text: `engine failed (${report.requested})`, warning: report.error, detail: report.error };
  const parts: string[] = [report.choice];
  if (report.device) parts.push(report.device.name, `${formatBytes(report.device.memory.freeBytes)} free of ${formatBytes(report.device.memory.totalBytes)}`);
  if (report.threads !== null) parts.push(`${report.threads} thread${report.threads === 1 ? '' : 's'}`);
  const reasons = (skipped: EngineReport['skipped']): string | null => (skipped.length > 0 ? skipped.map((s) => `not ${s.backend}: ${s.reason}`).join('; ') : null);
  return { text: parts.join(' · '), warning: reasons(report.skipped.filter((s) => s.fix !== null)), detail: reasons(report.skipped) };
}
