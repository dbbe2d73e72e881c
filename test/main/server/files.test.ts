import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mimeType, resolveInside } from '../../../src-main/server/files.js';

const base = realpathSync(mkdtempSync(path.join(tmpdir(), 'sae-files-')));
const root = path.join(base, 'root');
mkdirSync(path.join(root, 'assets'), { recursive: true });
writeFileSync(path.join(root, 'index.html'), '<html></html>');
writeFileSync(path.join(root, 'assets', 'a b.js'), 'x');
writeFileSync(path.join(base, 'secret.txt'), 'outside');
symlinkSync(path.join(base, 'secret.txt'), path.join(root, 'escape.txt'));
symlinkSync(base, path.join(root, 'escape-dir'));
symlinkSync(path.join(root, 'index.html'), path.join(root, 'alias.html'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('resolveInside', () => {
  it('resolves files inside the root, decoding the URL path', () => {
    expect(resolveInside(root, 'index.html')).toBe(path.join(root, 'index.html'));
    expect(resolveInside(root, '/assets/a%20b.js')).toBe(path.join(root, 'assets', 'a b.js'));
    expect(resolveInside(root, 'alias.html')).toBe(path.join(root, 'index.html'));
  });

  it('refuses traversal, plain or encoded, and anything that is not a file', () => {
    for (const attempt of [
      '../secret.txt',
      '/../secret.txt',
      'assets/../../secret.txt',
      '%2e%2e/secret.txt',
      '%2E%2E%2Fsecret.txt',
      '..%2fsecret.txt',
      'assets%2f..%2f..%2fsecret.txt',
      '..\\secret.txt',
      '..%5csecret.txt',
      'index.html%00.png',
      '%E0%A4%A',
      'assets',
      '',
      'missing.js',
    ]) {
      expect(resolveInside(root, attempt), attempt).toBeNull();
    }
  });

  it('refuses symlinks that lead outside the root', () => {
    expect(resolveInside(root, 'escape.txt')).toBeNull();
    expect(resolveInside(root, 'escape-dir/secret.txt')).toBeNull();
  });

  it('knows the types the renderer build uses', () => {
    expect(mimeType('x/index.html')).toBe('text/html; charset=utf-8');
    expect(mimeType('a.JS')).toBe('text/javascript; charset=utf-8');
    expect(mimeType('model.safetensors')).toBe('application/octet-stream');
  });
});
