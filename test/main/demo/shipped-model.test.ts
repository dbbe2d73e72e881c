// The shipped model as the demo uses it: the real folder passes the check; a missing, unfetched or
// damaged one is refused with the file and the fix; a workspace gets one whole copy, kept afterwards.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkShippedModel, installShippedModel, SHIPPED_MODEL, shippedModelDir } from '../../../src-main/demo/shipped-model.js';
import { WorkspaceLayout } from '../../../src-main/jobs/workspace/layout.js';
import { listSnapshots } from '../../../src-main/lm/snapshots.js';
import { writeBpeFiles } from '../../../src-main/tokenizer/files.js';
import { trainBpe } from '../../../src-main/tokenizer/train-bpe.js';
import { scanModel } from '../../../src-main/jobs/workspace/scan.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'sae-shipped-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let copies = 0;
/** A copy of the shipped folder, changed by `damage`. */
function damaged(damage: (dir: string) => void): string {
  const dir = path.join(tmp, `copy-${copies++}`);
  cpSync(shippedModelDir(), dir, { recursive: true });
  damage(dir);
  return dir;
}

describe('the shipped model', () => {
  it('is a whole GPT-2 folder in resources/models/sotu-gpt2', async () => {
    expect(shippedModelDir()).toBe(path.resolve('resources', 'models', SHIPPED_MODEL));
    const config = await checkShippedModel();
    expect(config).toMatchObject({ nLayer: 4, nEmbd: 128, nHead: 4, nPositions: 128, vocabSize: 2048 });
  });

  it('is refused with the file that is wrong and how to restore it', async () => {
    const fix = /git checkout -- resources\/models\/sotu-gpt2.*npm run demo -- --model tiny/;
    await expect(checkShippedModel(path.join(tmp, 'nowhere'))).rejects.toThrow(/the shipped model is missing: .*nowhere does not exist; restore it/);
    const pointer = damaged((dir) => writeFileSync(path.join(dir, 'model.safetensors'), 'version https://git-lfs.github.com/spec/v1\noid sha256:00\nsize 1\n'));
    await expect(checkShippedModel(pointer)).rejects.toThrow(/model\.safetensors is a Git LFS pointer, not the weights; run git lfs pull/);
    const truncated = damaged((dir) => truncateSync(path.join(dir, 'model.safetensors'), statSync(path.join(dir, 'model.safetensors')).size - 1000));
    await expect(checkShippedModel(truncated)).rejects.toThrow(/is damaged: .*model\.safetensors: .*(truncated|outside the data section)/);
    await expect(checkShippedModel(truncated)).rejects.toThrow(fix);
    const badConfig = damaged((dir) => writeFileSync(path.join(dir, 'config.json'), '{"n_layer": 4,'));
    await expect(checkShippedModel(badConfig)).rejects.toThrow(/is damaged: .*config\.json: not valid JSON/);
    const wrongShape = damaged((dir) => {
      const file = path.join(dir, 'config.json');
      writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), n_embd: 64, n_head: 4 }));
    });
    await expect(checkShippedModel(wrongShape)).rejects.toThrow(/is damaged: .*has shape \[.*\], but config\.json implies/);
    const noMerges = damaged((dir) => unlinkSync(path.join(dir, 'merges.txt')));
    await expect(checkShippedModel(noMerges)).rejects.toThrow(/is damaged: .*merges\.txt: not found/);
    // A fitted 300-token BPE in place of the model's own tokenizer files.
    const otherTokenizer = damaged((dir) => {
      for (const file of ['vocab.json', 'merges.txt', 'tokenizer_config.json']) unlinkSync(path.join(dir, file));
      writeBpeFiles(dir, trainBpe(new Map([['the nation', 5], [' and the people', 3]]), 300));
    });
    await expect(checkShippedModel(otherTokenizer)).rejects.toThrow(/is damaged: its tokenizer has \d+ tokens with <\|endoftext\|> at \d+, but config\.json has vocab_size 2048 and eos_token_id 2047; the tokenizer files belong to another model/);
  });

  it('is copied into a workspace once, whole, and the copy is kept', async () => {
    const workspace = new WorkspaceLayout(path.join(tmp, 'ws'));
    workspace.ensure();
    const first = await installShippedModel(workspace);
    expect(first).toEqual({ dir: workspace.model(SHIPPED_MODEL), copied: true });
    // Its files; snapshots/ (when it ships them) is compared in the test below.
    for (const file of readdirSync(shippedModelDir(), { withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name)) {
      expect(readFileSync(path.join(first.dir, file)).equals(readFileSync(path.join(shippedModelDir(), file))), file).toBe(true);
    }
    expect(scanModel(workspace, SHIPPED_MODEL)).toMatchObject({ id: SHIPPED_MODEL, nLayers: 4, dModel: 128, provenance: expect.stringMatching(/^shipped with the app/) });
    // Even a source that went bad later is not read again: the workspace's SAEs belong to its copy.
    expect(await installShippedModel(workspace, path.join(tmp, 'nowhere'))).toEqual({ dir: first.dir, copied: false });
  });

  it('carries its snapshots: each checked like the model, and copied with it', async () => {
    const snapshotOf = (dir: string) => {
      const snapshot = path.join(dir, 'snapshots', 'step-5');
      mkdirSync(snapshot, { recursive: true });
      for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isFile()) cpSync(path.join(dir, e.name), path.join(snapshot, e.name));
    };
    const source = damaged(snapshotOf);
    expect(await checkShippedModel(source)).toMatchObject({ nLayer: 4, nEmbd: 128 });
    const workspace = new WorkspaceLayout(path.join(tmp, 'ws-snapshots'));
    workspace.ensure();
    const { dir } = await installShippedModel(workspace, source);
    // The shipped model's own two snapshots, and the one added here, in step order.
    expect(listSnapshots(dir).map((s) => s.name)).toEqual(['step-5', 'step-245', 'step-1221']);
    expect(listSnapshots(dir)[0]).toEqual({ name: 'step-5', step: 5, dir: path.join(dir, 'snapshots', 'step-5') });
    const weights = (folder: string) => readFileSync(path.join(folder, 'snapshots', 'step-5', 'model.safetensors'));
    expect(weights(dir).equals(weights(source))).toBe(true);
    expect(readdirSync(workspace.dir('models'))).toEqual([SHIPPED_MODEL]);
    expect(scanModel(workspace, SHIPPED_MODEL)).toMatchObject({ id: SHIPPED_MODEL, nLayers: 4 });

    const badSnapshot = damaged((folder) => {
      snapshotOf(folder);
      truncateSync(path.join(folder, 'snapshots', 'step-5', 'model.safetensors'), 1000);
    });
    await expect(checkShippedModel(badSnapshot)).rejects.toThrow(/the shipped model in .*snapshots\/step-5 is damaged: .*model\.safetensors/);
    const otherTokenizer = damaged((folder) => {
      snapshotOf(folder);
      writeFileSync(path.join(folder, 'snapshots', 'step-5', 'merges.txt'), '#version: 0.2\n');
    });
    await expect(checkShippedModel(otherTokenizer)).rejects.toThrow(/snapshots\/step-5\/merges\.txt differs from the model's own merges\.txt; a snapshot must share its model's tokenizer/);
  });

  it('leaves no model and no partial folder in the workspace when the source is damaged', async () => {
    const workspace = new WorkspaceLayout(path.join(tmp, 'ws-damaged'));
    workspace.ensure();
    const truncated = damaged((dir) => truncateSync(path.join(dir, 'model.safetensors'), 100));
    await expect(installShippedModel(workspace, truncated)).rejects.toThrow(/is damaged/);
    expect(existsSync(workspace.model(SHIPPED_MODEL))).toBe(false);
    expect(readdirSync(workspace.dir('models'))).toEqual([]);
  });
});
