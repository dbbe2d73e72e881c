import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from './run-cli.js';
import { tf } from '../../../src-main/engine/backend.js';


afterEach(() => vi.restoreAllMocks());

describe('sae-explorer doctor', () => {
  it('--json prints one JSON object describing the running engine', async () => {
    const { code, stdout } = await runCli('doctor', '--json');
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(Object.keys(report)).toEqual(['engine', 'gpt2Forward', 'packages', 'gpus', 'cuda', 'cpu', 'memory', 'runtime', 'hub']);
    expect(report.engine.backend).toBe(tf.getBackend());
    expect(report.runtime.node).toBe(process.versions.node);
  });

  it('prints a readable report without --json', async () => {
    const { code, stdout } = await runCli('doctor');
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^engine\\n  backend +${tf.getBackend()} \\(`));
    expect(stdout).toContain('\nhugging face\n  cache ');
  });
});
