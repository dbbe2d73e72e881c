// Resolves a URL path to a file inside one root folder, or null. Refuses `..` (also percent-encoded),
// NUL bytes and backslashes, and compares real paths so a symlink cannot lead outside the root.
import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';

function realOrNull(target: string): string | null {
  try {
    return realpathSync(target);
  } catch {
    return null;
  }
}

export function resolveInside(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const segments = decoded.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.includes('..')) return null;
  const realRoot = realOrNull(root);
  const real = realOrNull(path.join(root, ...segments));
  if (!realRoot || !real) return null;
  if (real !== realRoot && !real.startsWith(realRoot + path.sep)) return null;
  return statSync(real).isFile() ? real : null;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

export function mimeType(file: string): string {
  return MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}
