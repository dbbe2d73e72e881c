// The packager configuration (electron-builder.json) against the repository and the compute
// process's start-up: what must live outside app.asar for the system node to run it is unpacked,
// those paths exist, no native module is rebuilt for Electron, and the app root the compute process
// runs in maps from app.asar to app.asar.unpacked.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { computeAppRoot, unpackedPath } from '../../../src-main/app/packaged.js';

interface BuilderConfig {
  files: string[];
  asar: boolean;
  asarUnpack: string[];
  npmRebuild: boolean;
  nodeGypRebuild: boolean;
  linux: { target: string[] };
  mac: { target: string[] };
  win: { target: string[] };
}

const ROOT = path.resolve('.');
const config = JSON.parse(readFileSync(path.join(ROOT, 'electron-builder.json'), 'utf8')) as BuilderConfig;
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { main: string; scripts: Record<string, string>; dependencies: Record<string, string> };

/** The folder or file a pattern ("src-main/**", "package.json") names. */
const rootOf = (pattern: string): string => pattern.replace(/\/\*\*$/, '');
const covers = (patterns: string[], file: string): boolean => patterns.some((p) => file === rootOf(p) || (p.endsWith('/**') && file.startsWith(`${rootOf(p)}/`)));

const tmp = mkdtempSync(path.join(tmpdir(), 'sae-packaging-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('electron-builder.json', () => {
  it('unpacks what the system node needs, and every unpacked path exists here', () => {
    expect(config.asar).toBe(true);
    for (const pattern of config.asarUnpack) expect(existsSync(path.join(ROOT, rootOf(pattern))), pattern).toBe(true);
    // The compute entry, its sources, the "type": "module" that makes tsx load them as ESM, tsx itself
    // and the native store must all be real files on disk.
    for (const file of ['package.json', 'src-main/jobs/compute.ts', 'src-shared/api.ts', 'node_modules/tsx/package.json', 'node_modules/better-sqlite3/package.json']) {
      expect(covers(config.asarUnpack, file), file).toBe(true);
      expect(existsSync(path.join(ROOT, file)), file).toBe(true);
    }
    expect(Object.keys(pkg.dependencies)).toContain('tsx');
  });

  it('ships the build and the sources, and keeps the native modules built for Node, not Electron', () => {
    expect(covers(config.files, pkg.main)).toBe(true);
    expect(covers(config.files, 'out/preload/index.cjs')).toBe(true);
    expect(covers(config.files, 'out/renderer/index.html')).toBe(true);
    for (const pattern of config.asarUnpack.filter((p) => !p.startsWith('node_modules'))) expect(config.files, pattern).toContain(pattern);
    expect(config.npmRebuild).toBe(false);
    expect(config.nodeGypRebuild).toBe(false);
  });

  it('makes AppImage and deb, dmg, and an NSIS installer, through an npm script', () => {
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.mac.target).toEqual(['dmg']);
    expect(config.win.target).toEqual(['nsis']);
    expect(pkg.scripts.dist).toContain('electron-builder@26 --config electron-builder.json');
  });
});

describe('the compute process in a packaged app', () => {
  it('runs from app.asar.unpacked, never from inside the archive', () => {
    expect(unpackedPath('/opt/SAE Explorer/resources/app.asar')).toBe('/opt/SAE Explorer/resources/app.asar.unpacked');
    expect(unpackedPath('/Applications/SAE Explorer.app/Contents/Resources/app.asar/src-main/jobs/compute.ts')).toBe(
      '/Applications/SAE Explorer.app/Contents/Resources/app.asar.unpacked/src-main/jobs/compute.ts',
    );
    expect(unpackedPath('C:\\Program Files\\SAE Explorer\\resources\\app.asar', path.win32)).toBe('C:\\Program Files\\SAE Explorer\\resources\\app.asar.unpacked');
    expect(unpackedPath('/opt/SAE Explorer/resources/app.asar.unpacked')).toBe('/opt/SAE Explorer/resources/app.asar.unpacked');
    expect(unpackedPath('/home/ada/my-app.asar/x')).toBe('/home/ada/my-app.asar/x');
    expect(unpackedPath(ROOT)).toBe(ROOT);
  });

  it('finds the app root from the built main inside app.asar and maps it to the unpacked copy', () => {
    // Inside Electron, fs reads app.asar like a folder; a folder of that name stands in for it here.
    const archive = path.join(tmp, 'resources', 'app.asar');
    mkdirSync(path.join(archive, 'out', 'main'), { recursive: true });
    writeFileSync(path.join(archive, 'package.json'), JSON.stringify({ name: 'sae-explorer', main: pkg.main }));
    expect(computeAppRoot(path.join(archive, 'out'))).toBe(path.join(tmp, 'resources', 'app.asar.unpacked'));
  });
});
