import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../../src-main/cli/main.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
  return { out, err };
}

describe('sae-explorer command line', () => {
  afterEach(() => vi.restoreAllMocks());

  it('prints help and exits 0', async () => {
    const { out } = capture();
    expect(await main(['node', 'sae-explorer', '--help'])).toBe(0);
    expect(out.join('')).toMatch(/Usage: sae-explorer/);
  });

  it('exits non-zero on an unknown command with a reason on stderr', async () => {
    const { err } = capture();
    expect(await main(['node', 'sae-explorer', 'frobnicate'])).not.toBe(0);
    expect(err.join('')).toMatch(/unknown command 'frobnicate'/);
  });

  it('rejects an unknown benchmark name with a one-line reason', async () => {
    const { err } = capture();
    expect(await main(['node', 'sae-explorer', 'bench', 'no-such-bench'])).toBe(1);
    expect(err.join('')).toMatch(/^sae-explorer: unknown benchmark "no-such-bench"/);
  });
});
