// The desktop shell's security settings in one place, as plain data and pure functions so tests can
// check them without the Electron binary: an isolated, sandboxed renderer without Node, a strict
// CSP, no navigation away from the app, no new windows, no remote content, no permissions.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** webPreferences of every window. */
export function secureWebPreferences(preloadPath: string): Record<string, unknown> {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
  };
}

/** The CSP sent with every response to the renderer; the app loads nothing from elsewhere. */
export const DESKTOP_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'",
].join('; ');

/**
 * Whether a URL is the app's own page: a file inside the renderer build, or the electron-vite dev
 * server when one is running (`devServerUrl`). File URLs are compared as resolved paths, so `..`
 * segments cannot step out and, on Windows, a drive letter Chromium spells in the other case still
 * matches (NTFS paths are case-insensitive). A host (`file://server/share/…`, a UNC path on Windows)
 * is never the app: the build is on a local disk.
 */
export function isAppUrl(url: string, rendererDir: string, devServerUrl?: string, paths: path.PlatformPath = path): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (devServerUrl) {
    const dev = new URL(devServerUrl);
    if (parsed.origin === dev.origin) return true;
  }
  if (parsed.protocol !== 'file:' || parsed.host !== '') return false;
  const windows = paths === path.win32;
  let file: string;
  try {
    file = fileURLToPath(parsed, { windows });
  } catch {
    // Encoded separators and, on Windows, paths without a drive letter.
    return false;
  }
  const fold = (p: string): string => (windows ? p.toLowerCase() : p);
  const relative = paths.relative(fold(paths.resolve(rendererDir)), fold(paths.resolve(file)));
  return relative !== '' && relative !== '..' && !relative.startsWith(`..${paths.sep}`) && !paths.isAbsolute(relative);
}

/** Requests the renderer may make: its own files, DevTools, and data/blob URLs it created. */
export function isAllowedRequest(url: string, rendererDir: string, devServerUrl?: string): boolean {
  if (url.startsWith('devtools://') || url.startsWith('data:') || url.startsWith('blob:')) return true;
  if (devServerUrl && url.startsWith('ws://') && new URL(url).host === new URL(devServerUrl).host) return true;
  return isAppUrl(url, rendererDir, devServerUrl);
}
