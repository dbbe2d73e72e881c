// Bringing files into the workspace in a browser: PUT /api/upload with the files back to back
// (XMLHttpRequest, for upload progress; Blob parts are streamed from disk, not read into memory). The
// desktop app's way in is its native dialog (desktop.ts). Either way the result is an upload id for
// saes.import or datasets.add.
import { ApiError, unwrap } from '../../../../src-shared/api.js';
import { NO_TOKEN } from './browser.js';
import type { ApiResponse, UploadReceipt } from '../../../../src-shared/api.js';

/** The manifest header the server reads (src-main/server/upload.ts). */
const MANIFEST_HEADER = 'X-Sae-Upload-Files';

export interface UploadItem {
  file: Blob;
  /** Path inside the upload, "/"-separated: the file's name, or its place in a dropped folder. */
  path: string;
}

/** Sends `items` to PUT /api/upload; `onProgress(done, total)` follows the bytes sent. */
export function uploadFiles(items: UploadItem[], token: string | null, onProgress: (done: number, total: number) => void): Promise<UploadReceipt> {
  return new Promise((resolve, reject) => {
    if (token === null) return reject(new ApiError('bad_request', NO_TOKEN));
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', new URL('/api/upload', window.location.href));
    xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    xhr.setRequestHeader(MANIFEST_HEADER, encodeURIComponent(JSON.stringify(items.map((item) => ({ path: item.path, size: item.file.size })))));
    xhr.upload.onprogress = (event) => onProgress(event.loaded, event.total);
    xhr.onload = () => {
      try {
        resolve(unwrap(JSON.parse(xhr.responseText) as ApiResponse<UploadReceipt>));
      } catch (err) {
        reject(err instanceof ApiError ? err : new ApiError('internal', `upload: the server answered ${xhr.status} ${xhr.responseText.slice(0, 200)}`));
      }
    };
    xhr.onerror = () => reject(new ApiError('internal', 'upload: the connection broke; nothing was kept, try again'));
    xhr.send(new Blob(items.map((item) => item.file)));
  });
}
