// Uploads: files brought into the workspace from outside it, by a browser's upload (browser mode,
// PUT /api/upload) or by the desktop app's open dialog. They land in the workspace's uploads/<id>/
// whole or not at all, and requests that use them (saes.import, datasets.add) name them by id.

/** One file of an upload: its path inside the upload ("name.txt", "release/4096/cfg.json") and its size. */
export interface UploadFile {
  path: string;
  /** Bytes. */
  size: number;
}

export interface UploadReceipt {
  /** Id of the upload under the workspace's uploads/, for saes.import and datasets.add. */
  upload: string;
  files: UploadFile[];
  /** Bytes of all files. */
  bytes: number;
}

/** The layouts an SAE exports to: a SAELens folder, or a sparsify run folder (top-k SAEs without per-token normalisation). */
export type SaeExportFormat = 'saelens' | 'sparsify';

/** What the desktop app's open dialog is asked to choose. */
export type PickKind = 'sae-folder' | 'sae-file' | 'dataset-file' | 'dataset-folder';

/**
 * What the desktop app's preload exposes beside the contract (window.saeExplorerDesktop): a native
 * open dialog whose choice the main process copies into uploads/ itself, so no path ever comes from
 * the page. Answers with the envelope; `null` when the dialog was cancelled.
 */
export interface DesktopBridge {
  pick(kind: PickKind): Promise<import('./errors.js').ApiResponse<UploadReceipt | null>>;
  /** Writes the workspace SAE (an SaeEntry id) as SAELens or sparsify into a folder the user chooses; answers the folder written, null when cancelled. */
  exportSae(sae: string, format: SaeExportFormat): Promise<import('./errors.js').ApiResponse<string | null>>;
  /** Opens a workspace folder the user chooses in the native dialog (refused while jobs run); answers it, null when cancelled. The page reloads. */
  openWorkspace(): Promise<import('./errors.js').ApiResponse<string | null>>;
}
