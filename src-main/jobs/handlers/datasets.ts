// The corpus spec the trainer and harvester take (src-main/data/corpora) for a contract dataset id.
import { EMBEDDED_DATASET, type WorkspaceLayout } from '../workspace/layout.js';
import { requireDataset } from './lookup.js';

/** The embedded corpus's name in src-main/data/corpora (DEFAULT_CORPUS there). */
const EMBEDDED_CORPUS = 'sotu';

export function corpusSpec(workspace: WorkspaceLayout, method: string, id: string): string {
  const target = requireDataset(workspace, method, id);
  return target === EMBEDDED_DATASET ? EMBEDDED_CORPUS : target;
}
