// The desktop app's extras beside the contract (the preload's DesktopBridge): native dialogs whose
// choices the main process acts on itself, so no path ever comes from the page. Each is null in a
// browser, where uploads, downloads and the workspace list take their place.
import { unwrap } from '../../../../src-shared/api.js';
import type { DesktopBridge, PickKind, SaeExportFormat, UploadReceipt } from '../../../../src-shared/api.js';

declare global {
  interface Window {
    /** Set by the desktop app's preload; absent in a browser. */
    saeExplorerDesktop?: DesktopBridge;
  }
}

/** The import dialog; resolves null when the user cancels. */
export function desktopPicker(): ((kind: PickKind) => Promise<UploadReceipt | null>) | null {
  const desktop = window.saeExplorerDesktop;
  if (!desktop) return null;
  return async (kind) => unwrap(await desktop.pick(kind));
}

/** The SAE export: a folder chooser, then the files written. */
export function desktopExporter(): ((sae: string, format: SaeExportFormat) => Promise<string | null>) | null {
  const desktop = window.saeExplorerDesktop;
  if (!desktop) return null;
  return async (sae, format) => unwrap(await desktop.exportSae(sae, format));
}

/** The folder dialog that opens another workspace (the main process then reloads the page). */
export function desktopWorkspaceDialog(): (() => Promise<string | null>) | null {
  const desktop = window.saeExplorerDesktop;
  if (!desktop) return null;
  return async () => unwrap(await desktop.openWorkspace());
}
