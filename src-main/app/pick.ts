// The desktop app's way to bring files in and send them out. In: the renderer asks for a kind of
// thing (an SAE folder, a dataset file...), the main process shows the native open dialog, and copies
// what the user chose into the workspace's uploads/ through the same writer as browser uploads (whole
// or nothing); the renderer gets the upload id. Out: the renderer names a workspace SAE by id, the
// main process asks where to put it and writes it there as SAELens or sparsify. Workspaces: the
// native folder dialog chooses the one to open. No path ever comes from the page, so a compromised
// page can read or write nothing the user did not choose in a dialog.
import { createReadStream, createWriteStream, existsSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ApiError, errorResponse, toErrorInfo } from '../../src-shared/api.js';
import type { ApiResponse, PickKind, UploadFile, UploadReceipt } from '../../src-shared/api.js';
import { WorkspaceLayout } from '../jobs/workspace/layout.js';
import { receiveUpload, UPLOAD_LIMITS } from '../jobs/workspace/uploads.js';
import { fsyncDir, makeTempSiblingDir } from '../io/atomic.js';
import { workspaceSaeExport } from '../jobs/workspace/export.js';
import { EXPORT_SAE_CHANNEL, OPEN_WORKSPACE_CHANNEL, PICK_CHANNEL } from './channels.js';
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

/**
 * Writes workspace SAE `sae` as `format` (SAELens: its folder's files; sparsify: converted) into a
 * new folder `<family>-<size>[-sparsify]` inside the folder the user chooses; whole or not at all,
 * never over an existing folder. Answers the folder written, or null when the dialog was cancelled.
 * Refusals (a bad id, a format sparsify cannot hold) come before the dialog.
 */
export async function exportSae(showOpenDialog: OpenDialog, workspace: string, sae: unknown, format: unknown): Promise<string | null> {
  const method = 'exportSae';
  const { name, files } = workspaceSaeExport(new WorkspaceLayout(workspace), method, sae, format);
  const choice = await showOpenDialog({ title: `Export ${String(sae)} as ${String(format)} into…`, properties: ['openDirectory', 'createDirectory'] });
  const chosen = choice.filePaths[0];
  if (choice.canceled || !chosen) return null;
  const target = path.join(chosen, name);
  if (existsSync(target)) throw new ApiError('conflict', `${method}: ${target} already exists; choose another folder or remove it`);
  const staging = makeTempSiblingDir(target);
  try {
    for (const file of files) {
      // The export's paths start with its top folder, which the staging folder stands for.
      const destination = path.join(staging, ...file.path.split('/').slice(1));
      mkdirSync(path.dirname(destination), { recursive: true });
      await pipeline(Readable.from(file.read()), createWriteStream(destination));
    }
    renameSync(staging, target);
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err;
  }
  fsyncDir(chosen);
  return target;
}

/**
 * Opens a workspace folder the user chooses in the native dialog (or creates there), through
 * `open`, which refuses while jobs run; answers the folder, or null when the dialog was cancelled.
 */
export async function pickWorkspace(showOpenDialog: OpenDialog, current: string, open: (folder: string) => Promise<void>): Promise<string | null> {
  const choice = await showOpenDialog({ title: 'Open workspace folder', properties: ['openDirectory', 'createDirectory'], defaultPath: current });
  const chosen = choice.filePaths[0];
  if (choice.canceled || !chosen) return null;
  await open(chosen);
  return chosen;
}

/**
 * Answers PICK_CHANNEL, EXPORT_SAE_CHANNEL and OPEN_WORKSPACE_CHANNEL from the app's own page;
 * returns the function that removes them. `openWorkspace` opens a chosen folder (the desktop app's).
 */
export function registerPickIpc(
  ipcMain: IpcMainLike,
  showOpenDialog: OpenDialog,
  workspace: () => string,
  isTrustedFrame: (url: string) => boolean,
  openWorkspace: (folder: string) => Promise<void>,
): () => void {
  const guarded = <T>(run: (...args: unknown[]) => Promise<T>) => async (event: { senderFrame?: { url: string } | null }, ...args: unknown[]): Promise<ApiResponse<T>> => {
    const url = event.senderFrame?.url ?? '';
    if (!isTrustedFrame(url)) return errorResponse({ code: 'bad_request', message: `file dialog refused from untrusted frame ${url || '(unknown)'}` });
    try {
      return { ok: true, result: await run(...args) };
    } catch (err) {
      return errorResponse(toErrorInfo(err));
    }
  };
  ipcMain.handle(PICK_CHANNEL, guarded(async (kind) => {
    if (!isPickKind(kind)) throw new ApiError('bad_request', `pick: kind must be one of ${Object.keys(DIALOGS).join(', ')}, got ${JSON.stringify(kind)}`);
    return pickUpload(showOpenDialog, workspace(), kind);
  }));
  ipcMain.handle(EXPORT_SAE_CHANNEL, guarded((sae, format) => exportSae(showOpenDialog, workspace(), sae, format)));
  ipcMain.handle(OPEN_WORKSPACE_CHANNEL, guarded(() => pickWorkspace(showOpenDialog, workspace(), openWorkspace)));
  return () => {
    for (const channel of [PICK_CHANNEL, EXPORT_SAE_CHANNEL, OPEN_WORKSPACE_CHANNEL]) ipcMain.removeHandler(channel);
  };
}
