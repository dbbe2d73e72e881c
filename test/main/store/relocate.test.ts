import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Db } from '../../../src-main/store/open.js';
import { resolveSae } from '../../../src-main/store/queries.js';
import { relocateSaePaths } from '../../../src-main/store/relocate.js';
import { registerFamily, registerModel, registerSae } from '../../../src-main/store/writes.js';

let dir: string;
let db: Db;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sae-relocate-'));
  db = openStore(path.join(dir, 'features.sqlite'));
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A family harvested in a workspace at `root` that no longer exists there. */
function harvestedAt(root: string, family: string, sizes: number[]): void {
  const modelId = registerModel(db, { name: 'tiny', nLayer: 2, dModel: 16, vocabSize: 50257 });
  const familyId = registerFamily(db, { path: path.join(root, 'saes', family), name: family, modelId, hookName: 'blocks.1.hook_resid_post' });
  for (const dSae of sizes) {
    registerSae(db, { path: path.join(root, 'saes', family, String(dSae)), modelId, familyId, hookName: 'blocks.1.hook_resid_post', architecture: 'topk', dIn: 16, dSae, k: 2 });
  }
}

/** A folder with the cfg.json an SAE of `dSae` latents has. */
function saeFolder(folder: string, dSae: number): void {
  mkdirSync(folder, { recursive: true });
  writeFileSync(path.join(folder, 'cfg.json'), JSON.stringify({ d_sae: dSae }));
}

describe('relocateSaePaths', () => {
  it('re-keys a moved workspace\'s SAEs and family to the same folders in its new place', () => {
    harvestedAt('/gone/old-workspace', 'fam', [4, 8]);
    const saes = path.join(dir, 'ws', 'saes');
    for (const size of [4, 8]) saeFolder(path.join(saes, 'fam', String(size)), size);

    expect(relocateSaePaths(db, saes)).toBe(3);
    expect(resolveSae(db, path.join(saes, 'fam', '8')).dSae).toBe(8);
    const family = db.prepare('SELECT path FROM sae_families').get() as { path: string };
    expect(family.path).toBe(path.join(saes, 'fam'));
    // Nothing stale is left, so a second pass moves nothing.
    expect(relocateSaePaths(db, saes)).toBe(0);
  });

  it('re-keys a copied workspace\'s SAEs, whose original folders still exist, to the copy\'s', () => {
    const original = path.join(dir, 'original');
    saeFolder(path.join(original, 'saes', 'fam', '4'), 4);
    harvestedAt(original, 'fam', [4]);
    const saes = path.join(dir, 'copy', 'saes');
    saeFolder(path.join(saes, 'fam', '4'), 4);

    expect(relocateSaePaths(db, saes)).toBe(2);
    expect(resolveSae(db, path.join(saes, 'fam', '4')).dSae).toBe(4);
  });

  it('leaves paths with no counterpart, counterparts of another size, and paths outside any saes/ folder', () => {
    const saes = path.join(dir, 'ws', 'saes');
    saeFolder(path.join(saes, 'fam', '4'), 4);
    saeFolder(path.join(saes, 'other', '8'), 16);
    harvestedAt('/gone/old-workspace', 'fam', [4, 8]);
    const modelId = registerModel(db, { name: 'other', nLayer: 2, dModel: 16, vocabSize: 50257 });
    registerSae(db, { path: '/elsewhere/my-sae', modelId, hookName: 'blocks.1.hook_resid_post', architecture: 'topk', dIn: 16, dSae: 4, k: 2 });
    registerSae(db, { path: '/gone/old-workspace/saes/other/8', modelId, hookName: 'blocks.1.hook_resid_post', architecture: 'topk', dIn: 16, dSae: 8, k: 2 });

    // The family folder and its 4 exist in the new place; its 8 does not.
    expect(relocateSaePaths(db, saes)).toBe(2);
    const paths = (db.prepare('SELECT path FROM saes ORDER BY id').all() as Array<{ path: string }>).map((row) => row.path);
    expect(paths).toEqual([path.join(saes, 'fam', '4'), '/gone/old-workspace/saes/fam/8', '/elsewhere/my-sae', '/gone/old-workspace/saes/other/8']);
  });

  it('finds a family that is itself called "saes"', () => {
    harvestedAt('/gone/old-workspace', 'saes', [16]);
    const saes = path.join(dir, 'ws', 'saes');
    saeFolder(path.join(saes, 'saes', '16'), 16);

    expect(relocateSaePaths(db, saes)).toBe(2);
    expect(resolveSae(db, path.join(saes, 'saes', '16')).dSae).toBe(16);
  });

  it('does not take a folder another row already holds', () => {
    const saes = path.join(dir, 'ws', 'saes');
    saeFolder(path.join(saes, 'fam', '4'), 4);
    harvestedAt('/gone/old-workspace', 'fam', [4]);
    const modelId = registerModel(db, { name: 'again', nLayer: 2, dModel: 16, vocabSize: 50257 });
    // Harvested again in the new place before the database was relocated.
    registerSae(db, { path: path.join(saes, 'fam', '4'), modelId, hookName: 'blocks.1.hook_resid_post', architecture: 'topk', dIn: 16, dSae: 4, k: 2 });

    relocateSaePaths(db, saes);
    const paths = (db.prepare('SELECT path FROM saes ORDER BY id').all() as Array<{ path: string }>).map((row) => row.path);
    expect(paths).toEqual(['/gone/old-workspace/saes/fam/4', path.join(saes, 'fam', '4')]);
  });
});
