// The desktop app's way to bring files in: the renderer asks for a kind of thing (an SAE folder, a
// dataset file...), the main process shows the native open dialog, and copies what the user chose
// into the workspace's uploads/ through the same writer as browser uploads (whole or nothing). The
// renderer gets the upload id; no path ever comes from the page, so a compromised page can read
// nothing the user did not choose in a dialog.
import { createReadStream, lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { errorResponse, toErrorInfo } from '../../src-shared/api.js';
import type { ApiResponse, PickKind, UploadFile, UploadReceipt } from '../../src-shared/api.js';
import { WorkspaceLayout } from '../jobs/workspace/layout.js';
import { receiveUpload, UPLOAD_LIMITS } from '../jobs/workspace/uploads.js';
import { PICK_CHANNEL } from './channels.js';
import type { ElectronMain, IpcMainLike } from './electron-api.js';

type OpenDialog = ElectronMain['dialog']['showOpenDialog'];
type DialogOptions = Parameters<OpenDialog>[0];

const DIALOGS: Record<PickKind, DialogOptions> = {
  'sae-folder': { title: 'Import SAEs: a SAELens or sparsify folder, or a folder of them', properties: ['openDirectory'] },
  'sae-file': { title: 'Import an OpenAI SAE (.safetensors)', properties: ['openFile'], filters: [{ name: 'safetensors', extensions: ['safetensors'] }] },
  'dataset-file': { title: 'Add a dataset (.txt, .jsonl, .parquet)', properties: ['openFile'], filters: [{ name: 'Datasets', extensions: ['txt', 'jsonl', 'parquet'] }] },
  'dataset-folder': { title: 'Add a folder of .txt, .jsonl or .parquet files', properties: ['openDirectory'] },
};

function isPickKind(kind: unknown): kind is PickKind {
  return typeof kind === 'string' && Object.prototype.hasOwnProperty.call(DIALOGS, kind);
}

/**
 * The regular files under the choice, with paths relative to its parent (a folder keeps its name).
 * Links are not followed and other entries are skipped; the walk stops past the upload's file limit,
 * which the manifest check then refuses by name.
 */
function chosenFiles(choice: string): Array<UploadFile & { source: string }> {
  const files: Array<UploadFile & { source: string }> = [];
  const visit = (target: string, relative: string, depth: number): void => {
    if (files.length > UPLOAD_LIMITS.files) return;
    const stat = lstatSync(target);
    if (stat.isFile()) files.push({ path: relative, size: stat.size, source: target });
    else if (stat.isDirectory() && depth <= UPLOAD_LIMITS.depth) {
      for (const name of readdirSync(target).sort()) if (!name.startsWith('.')) visit(path.join(target, name), `${relative}/${name}`, depth + 1);
    }
  };
  visit(choice, path.basename(choice), 0);
  return files;
}

async function* contents(files: Array<{ source: string }>): AsyncGenerator<Uint8Array> {
  for (const file of files) yield* createReadStream(file.source) as AsyncIterable<Buffer>;
}

/** Copies what the user chose into uploads/; null when the dialog was cancelled. */
export async function pickUpload(showOpenDialog: OpenDialog, workspace: string, kind: PickKind): Promise<UploadReceipt | null> {
  const choice = await showOpenDialog(DIALOGS[kind]);
  const chosen = choice.filePaths[0];
  if (choice.canceled || !chosen) return null;
  const files = chosenFiles(chosen);
  return receiveUpload(new WorkspaceLayout(workspace), files.map(({ path: file, size }) => ({ path: file, size })), contents(files));
}

/** Answers PICK_CHANNEL from the app's own page; returns the function that removes the handler. */
export function registerPickIpc(ipcMain: IpcMainLike, showOpenDialog: OpenDialog, workspace: () => string, isTrustedFrame: (url: string) => boolean): () => void {
  ipcMain.handle(PICK_CHANNEL, async (event, kind): Promise<ApiResponse<UploadReceipt | null>> => {
    const url = event.senderFrame?.url ?? '';
    if (!isTrustedFrame(url)) return errorResponse({ code: 'bad_request', message: `file dialog refused from untrusted frame ${url || '(unknown)'}` });
    if (!isPickKind(kind)) return errorResponse({ code: 'bad_request', message: `pick: kind must be one of ${Object.keys(DIALOGS).join(', ')}, got ${JSON.stringify(kind)}` });
    try {
      return { ok: true, result: await pickUpload(showOpenDialog, workspace(), kind) };
    } catch (err) {
      return errorResponse(toErrorInfo(err));
    }
  });
  return () => ipcMain.removeHandler(PICK_CHANNEL);
}
