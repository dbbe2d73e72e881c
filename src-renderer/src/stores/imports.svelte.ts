// Imports store: files brought into the workspace (an upload in a browser, the native dialog in the
// desktop app) and the requests that use them: saes.import, datasets.add / pull / preview; and SAEs
// taken out (a .zip download in a browser, a folder in the desktop app).
import type { ApiErrorInfo, DatasetPreview, PickKind, SaeExportFormat, SaeImportParams, UploadReceipt } from '../../../src-shared/api.js';
import { download } from '../lib/export.js';
import { formatBytes } from '../lib/format.js';
import { api, desktopExporter, desktopPicker, fetchSaeDownload, sendUpload, type UploadItem } from '../lib/transport/index.js';
import { errorInfo } from './errors.js';
import { workspace } from './workspace.svelte.js';

export type ImportTarget = 'sae' | 'dataset';

class ImportsStore {
  /** Bytes sent of the upload under way, per target. */
  progress = $state<Record<ImportTarget, { done: number; total: number } | null>>({ sae: null, dataset: null });
  /** The upload waiting to be used, per target. */
  ready = $state<Record<ImportTarget, UploadReceipt | null>>({ sae: null, dataset: null });
  error = $state<Record<ImportTarget, ApiErrorInfo | null>>({ sae: null, dataset: null });
  preview = $state<DatasetPreview | null>(null);
  previewError = $state<ApiErrorInfo | null>(null);
  previewing = $state(false);
  /** Whether the desktop app's dialog is there (else the browser uploads). */
  readonly desktop = desktopPicker();
  /** The desktop app's SAE export into a folder; null in a browser, which downloads a .zip. */
  readonly exporter = desktopExporter();
  /** What the last export wrote. */
  exportNote = $state<string | null>(null);
  exportError = $state<ApiErrorInfo | null>(null);
  /** The SAE being exported, while it is. */
  exporting = $state<string | null>(null);

  async upload(target: ImportTarget, items: UploadItem[]): Promise<void> {
    if (items.length === 0) return;
    this.error[target] = null;
    this.ready[target] = null;
    this.progress[target] = { done: 0, total: items.reduce((sum, item) => sum + item.file.size, 0) };
    try {
      this.ready[target] = await sendUpload(items, (done, total) => (this.progress[target] = { done, total }));
    } catch (err) {
      this.error[target] = errorInfo(err);
    } finally {
      this.progress[target] = null;
    }
  }

  async pick(target: ImportTarget, kind: PickKind): Promise<void> {
    if (!this.desktop) return;
    this.error[target] = null;
    try {
      const receipt = await this.desktop(kind);
      if (receipt) this.ready[target] = receipt;
    } catch (err) {
      this.error[target] = errorInfo(err);
    }
  }

  /** Starts the import job; returns its id, or null with `error.sae` set. */
  async importSae(params: SaeImportParams): Promise<string | null> {
    this.error.sae = null;
    try {
      const { jobId } = await api.saes.import(params);
      if (params.upload) this.ready.sae = null;
      return jobId;
    } catch (err) {
      this.error.sae = errorInfo(err);
      return null;
    }
  }

  /** Adds the ready upload as a dataset and previews it. */
  async addDataset(name?: string): Promise<void> {
    const receipt = this.ready.dataset;
    if (!receipt) return;
    this.error.dataset = null;
    try {
      const entry = await api.datasets.add(name ? { upload: receipt.upload, name } : { upload: receipt.upload });
      this.ready.dataset = null;
      await workspace.refresh();
      await this.previewDataset(entry.id);
    } catch (err) {
      this.error.dataset = errorInfo(err);
      // The server removes a refused file's upload but keeps one refused for its name, to retry.
      if (this.error.dataset.code !== 'conflict' && !/"name"/.test(this.error.dataset.message)) this.ready.dataset = null;
    }
  }

  async pullDataset(hub: string, name: string): Promise<string | null> {
    this.error.dataset = null;
    try {
      return (await api.datasets.pull({ hub, name })).jobId;
    } catch (err) {
      this.error.dataset = errorInfo(err);
      return null;
    }
  }

  async exportSae(sae: string, format: SaeExportFormat): Promise<void> {
    this.exportNote = null;
    this.exportError = null;
    this.exporting = sae;
    const layout = format === 'sparsify' ? 'a sparsify run folder' : 'a SAELens folder';
    try {
      if (this.exporter) {
        const folder = await this.exporter(sae, format);
        if (folder) this.exportNote = `${sae} exported as ${layout}: ${folder}`;
      } else {
        const { name, zip } = await fetchSaeDownload(sae, format);
        download(name, zip, 'application/zip');
        this.exportNote = `${sae} downloaded as ${name} (${layout}, ${formatBytes(zip.size)})`;
      }
    } catch (err) {
      this.exportError = errorInfo(err);
    } finally {
      this.exporting = null;
    }
  }

  async previewDataset(dataset: string): Promise<void> {
    this.previewing = true;
    this.previewError = null;
    try {
      this.preview = await api.datasets.preview({ dataset });
    } catch (err) {
      this.preview = null;
      this.previewError = errorInfo(err);
    } finally {
      this.previewing = false;
    }
  }
}

export const imports = new ImportsStore();
