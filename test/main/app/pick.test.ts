// The desktop import dialog (pick.ts) against the typed Electron slice: the main process shows the
// native dialog and copies the choice into uploads/; the page only names a kind, never a path. The
// same for exports (an SAE id and a format) and for opening a workspace (nothing: the dialog chooses).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ApiError, type ApiResponse, type UploadReceipt } from '../../../src-shared/api.js';
import { EXPORT_SAE_CHANNEL, OPEN_WORKSPACE_CHANNEL, PICK_CHANNEL } from '../../../src-main/app/channels.js';
import type { ElectronMain, IpcMainInvokeEventLike } from '../../../src-main/app/electron-api.js';
import { registerPickIpc } from '../../../src-main/app/pick.js';
import { saveSaeLens } from '../../../src-main/sae/formats/saelens.js';
import { loadSparsify } from '../../../src-main/sae/formats/sparsify.js';
import { randomBundle } from '../../fixtures/sae/random-bundle.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'sae-pick-'));
const workspace = path.join(tmp, 'ws');
mkdirSync(path.join(workspace, 'uploads'), { recursive: true });
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const PAGE = 'file:///app/index.html';

type Dialog = ElectronMain['dialog']['showOpenDialog'];

function setUp(answer: Awaited<ReturnType<Dialog>>, openWorkspace: (folder: string) => Promise<void> = async () => {}) {
  const handlers = new Map<string, (event: IpcMainInvokeEventLike, ...args: unknown[]) => unknown>();
  const asked: Array<Parameters<Dialog>[0]> = [];
  const remove = registerPickIpc(
    { handle: (channel, listener) => void handlers.set(channel, listener), removeHandler: (channel) => void handlers.delete(channel) },
    async (options) => (asked.push(options), answer),
    () => workspace,
    (url) => url === PAGE,
    openWorkspace,
  );
  const pick = async (kind: unknown, frame = PAGE) => (await handlers.get(PICK_CHANNEL)!({ senderFrame: { url: frame } }, kind)) as ApiResponse<UploadReceipt | null>;
  const exportSae = async (id: unknown, format: unknown, frame = PAGE) => (await handlers.get(EXPORT_SAE_CHANNEL)!({ senderFrame: { url: frame } }, id, format)) as ApiResponse<string | null>;
  const openFolder = async (frame = PAGE) => (await handlers.get(OPEN_WORKSPACE_CHANNEL)!({ senderFrame: { url: frame } })) as ApiResponse<string | null>;
  return { pick, exportSae, openFolder, asked, remove, handlers };
}

describe('the import dialog', () => {
  it('copies the chosen folder, its name kept, without following links, and answers its upload id', async () => {
    const release = path.join(tmp, 'release');
    mkdirSync(path.join(release, '16'), { recursive: true });
    writeFileSync(path.join(release, '16', 'cfg.json'), '{"d_sae": 16}');
    writeFileSync(path.join(release, '.DS_Store'), 'x');
    writeFileSync(path.join(tmp, 'secret.txt'), 'not chosen');
    symlinkSync(path.join(tmp, 'secret.txt'), path.join(release, 'link.txt'));
    const { pick, asked } = setUp({ canceled: false, filePaths: [release] });
    const answer = await pick('sae-folder');
    expect(asked).toEqual([{ title: expect.stringMatching(/^Import SAEs/), properties: ['openDirectory'] }]);
    expect(answer).toEqual({ ok: true, result: { upload: expect.stringMatching(/^up-/), files: [{ path: 'release/16/cfg.json', size: 13 }], bytes: 13 } });
    const upload = (answer as { result: UploadReceipt }).result.upload;
    expect(readFileSync(path.join(workspace, 'uploads', upload, 'release', '16', 'cfg.json'), 'utf8')).toBe('{"d_sae": 16}');
    expect(readdirSync(path.join(workspace, 'uploads', upload, 'release'))).toEqual(['16']);
  });

  it('opens a file dialog with the dataset filters, and answers null when cancelled', async () => {
    const { pick, asked } = setUp({ canceled: true, filePaths: [] });
    expect(await pick('dataset-file')).toEqual({ ok: true, result: null });
    expect(asked[0]).toMatchObject({ properties: ['openFile'], filters: [{ name: 'Datasets', extensions: ['txt', 'jsonl', 'parquet'] }] });
  });

  it('refuses other frames and kinds that are not kinds (a path included) before any dialog opens', async () => {
    const { pick, asked, remove, handlers } = setUp({ canceled: false, filePaths: ['/etc'] });
    expect(await pick('sae-folder', 'https://evil.example/')).toMatchObject({ ok: false, error: { code: 'bad_request', message: 'file dialog refused from untrusted frame https://evil.example/' } });
    expect(await pick('/etc/passwd')).toMatchObject({ ok: false, error: { code: 'bad_request', message: expect.stringMatching(/kind must be one of sae-folder, sae-file, dataset-file, dataset-folder, got "\/etc\/passwd"/) } });
    expect(await pick('toString')).toMatchObject({ ok: false });
    expect(asked).toEqual([]);
    remove();
    expect([...handlers.keys()]).toEqual([]);
  });

  it('reports a choice too large for one upload by the limit it breaks, keeping nothing', async () => {
    const many = path.join(tmp, 'many');
    mkdirSync(many);
    for (let i = 0; i < 300; i++) writeFileSync(path.join(many, `${i}.txt`), 'x');
    const before = readdirSync(path.join(workspace, 'uploads'));
    const { pick } = setUp({ canceled: false, filePaths: [many] });
    expect(await pick('dataset-folder')).toMatchObject({ ok: false, error: { code: 'bad_request', message: 'upload: 257 files; at most 256 per upload' } });
    expect(readdirSync(path.join(workspace, 'uploads'))).toEqual(before);
  });
});

describe('exporting an SAE', () => {
  it('copies the workspace SAE into a new folder of the chosen one, and never over an existing folder', async () => {
    const sae = path.join(workspace, 'saes', 'fam', '32');
    mkdirSync(sae, { recursive: true });
    writeFileSync(path.join(sae, 'cfg.json'), '{"d_sae": 32}');
    writeFileSync(path.join(sae, 'sae_weights.safetensors'), 'weights');
    const out = path.join(tmp, 'out');
    mkdirSync(out);
    const { exportSae, asked } = setUp({ canceled: false, filePaths: [out] });
    expect(await exportSae('fam/32', 'saelens')).toEqual({ ok: true, result: path.join(out, 'fam-32') });
    expect(asked[0]).toMatchObject({ properties: ['openDirectory', 'createDirectory'] });
    expect(readdirSync(path.join(out, 'fam-32')).sort()).toEqual(['cfg.json', 'sae_weights.safetensors']);
    expect(readFileSync(path.join(out, 'fam-32', 'sae_weights.safetensors'), 'utf8')).toBe('weights');
    expect(await exportSae('fam/32', 'saelens')).toMatchObject({ ok: false, error: { code: 'conflict', message: expect.stringMatching(/fam-32 already exists/) } });
    expect(readdirSync(out)).toEqual(['fam-32']);
    expect(await exportSae('../../etc', 'saelens')).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(await exportSae('fam/64', 'saelens')).toMatchObject({ ok: false, error: { code: 'not_found', message: 'exportSae: no SAE "fam/64" in this workspace' } });
    expect(await exportSae({ path: '/etc' }, 'saelens')).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(await exportSae('fam/32', '/tmp/out')).toMatchObject({ ok: false, error: { code: 'bad_request', message: 'exportSae: the format must be saelens or sparsify, got "/tmp/out"' } });
    expect(await exportSae('fam/32', 'saelens', 'https://evil.example/')).toMatchObject({ ok: false, error: { message: expect.stringMatching(/untrusted frame/) } });
    // Refusals come before the dialog: only the first two calls opened one.
    expect(asked).toHaveLength(2);
  });

  it('writes a sparsify run folder that imports back to the same SAE, and refuses a per-token normalised one before the dialog', async () => {
    const bundle = randomBundle({ architecture: 'topk', k: 3, hookName: 'blocks.2.hook_resid_pre' });
    saveSaeLens(path.join(workspace, 'saes', 'plain', '10'), bundle);
    saveSaeLens(path.join(workspace, 'saes', 'normed', '10'), randomBundle({ architecture: 'topk', normalizeActivations: 'layer_norm' }));
    const out = path.join(tmp, 'out-sparsify');
    mkdirSync(out);
    const { exportSae, asked } = setUp({ canceled: false, filePaths: [out] });
    expect(await exportSae('plain/10', 'sparsify')).toEqual({ ok: true, result: path.join(out, 'plain-10-sparsify') });
    expect(readdirSync(path.join(out, 'plain-10-sparsify', 'h.1')).sort()).toEqual(['cfg.json', 'sae.safetensors']);
    expect(loadSparsify(path.join(out, 'plain-10-sparsify', 'h.1'), { modelName: 'gpt2' }).weights).toEqual(bundle.weights);
    expect(await exportSae('normed/10', 'sparsify')).toMatchObject({
      ok: false,
      error: { code: 'bad_request', message: expect.stringContaining('exportSae: normed/10 cannot be exported as sparsify: sparsify encodes the raw activation with fixed weights, but this SAE scales each token by its own mean and standard deviation (layer_norm)') },
    });
    expect(asked).toHaveLength(1);
  });
});

describe('opening a workspace from the page', () => {
  it('opens the folder chosen in the native dialog, answers null when cancelled, and passes the refusal on', async () => {
    const chosen = path.join(tmp, 'chosen-ws');
    const opened: string[] = [];
    const { openFolder, asked } = setUp({ canceled: false, filePaths: [chosen] }, async (folder) => void opened.push(folder));
    expect(await openFolder()).toEqual({ ok: true, result: chosen });
    expect(opened).toEqual([chosen]);
    expect(asked).toEqual([{ title: 'Open workspace folder', properties: ['openDirectory', 'createDirectory'], defaultPath: workspace }]);
    expect(await setUp({ canceled: true, filePaths: [] }).openFolder()).toEqual({ ok: true, result: null });
    const busy = setUp({ canceled: false, filePaths: [chosen] }, async () => {
      throw new ApiError('conflict', 'workspace.open: ws has unfinished jobs: job 1 (train fam, running)');
    });
    expect(await busy.openFolder()).toEqual({ ok: false, error: { code: 'conflict', message: 'workspace.open: ws has unfinished jobs: job 1 (train fam, running)' } });
    expect(await busy.openFolder('https://evil.example/')).toMatchObject({ ok: false, error: { message: expect.stringMatching(/untrusted frame/) } });
    expect(busy.asked).toHaveLength(1);
  });
});
