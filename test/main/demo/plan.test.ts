// The demo's settings per model: the site and k follow the model's depth and width, sizes are
// multiples of d_model, and a caller's settings replace the defaults one by one.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_DEFAULTS, demoPlan, demoProgress } from '../../../src-main/demo/plan.js';
import { WorkspaceLayout } from '../../../src-main/jobs/workspace/layout.js';

const workspace = new WorkspaceLayout('/ws');

describe('demoPlan', () => {
  it('trains the shipped 4-layer model at the residual stream entering block 2, three sizes of 2 to 8 × d_model', () => {
    const plan = demoPlan(workspace, '/ws/models/sotu-gpt2', { nLayer: 4, nEmbd: 128 });
    expect(plan).toEqual({
      modelDir: '/ws/models/sotu-gpt2',
      hook: 'blocks.2.hook_resid_pre',
      latents: [256, 512, 1024],
      k: 16,
      tokens: DEMO_DEFAULTS.tokens,
      batch: DEMO_DEFAULTS.batch,
      lr: 2e-4 / Math.sqrt(256 / 2 ** 14),
      evalTokens: DEMO_DEFAULTS.evalTokens,
      harvestTokens: DEMO_DEFAULTS.harvestTokens,
      familyDir: path.resolve('/ws/saes/demo-sotu-gpt2-blocks.2.hook_resid_pre'),
      database: path.resolve('/ws/db/features.sqlite'),
      checkpoints: null,
    });
  });

  it('plans a checkpoints set at the family\'s site and middle size when the model folder carries snapshots, earliest first', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'sae-demo-plan-'));
    try {
      const model = path.join(root, 'models', 'sotu-gpt2');
      // Complete snapshots only, in step order (not name order); other folders are not snapshots.
      for (const name of ['step-1200', 'step-60', 'step-300', 'notes']) {
        mkdirSync(path.join(model, 'snapshots', name), { recursive: true });
        if (name !== 'notes') for (const file of ['config.json', 'model.safetensors']) writeFileSync(path.join(model, 'snapshots', name, file), '');
      }
      mkdirSync(path.join(model, 'snapshots', 'step-900'));
      const ws = new WorkspaceLayout(root);
      const plan = demoPlan(ws, model, { nLayer: 4, nEmbd: 128 });
      expect(plan.checkpoints).toEqual({
        snapshots: [60, 300, 1200].map((step) => ({ name: `step-${step}`, step, dir: path.join(model, 'snapshots', `step-${step}`) })),
        latents: 512,
        tokens: DEMO_DEFAULTS.checkpointTokens,
        setDir: path.join(root, 'saes', 'demo-sotu-gpt2-checkpoints-blocks.2.hook_resid_pre'),
      });
      expect(demoPlan(ws, model, { nLayer: 4, nEmbd: 128 }, { expansion: [1, 2], checkpointTokens: 4096 }).checkpoints).toMatchObject({ latents: 128, tokens: 4096 });
      expect(demoPlan(ws, model, { nLayer: 4, nEmbd: 128 }, { checkpointTokens: 0 }).checkpoints).toBeNull();
      expect(demoProgress(plan).checkpoints).toEqual({ trained: false, matched: false });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("keeps the paper's site and k on GPT-2 small, and the middle of the stream on the tiny model", () => {
    expect(demoPlan(workspace, '/hf/gpt2', { nLayer: 12, nEmbd: 768 })).toMatchObject({ hook: 'blocks.8.hook_resid_post', k: 32, latents: [1536, 3072, 6144] });
    expect(demoPlan(workspace, '/ws/models/tiny-gpt2', { nLayer: 2, nEmbd: 64 })).toMatchObject({ hook: 'blocks.1.hook_resid_pre', k: 8 });
  });

  it("takes the caller's settings over the defaults", () => {
    const plan = demoPlan(workspace, '/ws/models/sotu-gpt2', { nLayer: 4, nEmbd: 128 }, { expansion: [1, 2], k: 4, hook: 'blocks.3.hook_resid_post', tokens: 4096, lr: 1e-3, evalTokens: 0 });
    expect(plan).toMatchObject({ latents: [128, 256], k: 4, hook: 'blocks.3.hook_resid_post', tokens: 4096, lr: 1e-3, evalTokens: 0, batch: DEMO_DEFAULTS.batch });
    expect(plan.familyDir).toBe(path.resolve('/ws/saes/demo-sotu-gpt2-blocks.3.hook_resid_post'));
    // Flags not given arrive as undefined and keep the defaults.
    expect(demoPlan(workspace, '/ws/models/sotu-gpt2', { nLayer: 4, nEmbd: 128 }, { tokens: undefined, expansion: undefined })).toMatchObject({ tokens: DEMO_DEFAULTS.tokens, latents: [256, 512, 1024] });
  });
});
