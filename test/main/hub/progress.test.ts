import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { cliProgress } from '../../../src-main/hub/progress.js';

/** A stream that says it is a terminal, as cli-progress draws only on terminals. */
function fakeTerminal(): { stream: NodeJS.WritableStream; text: () => string } {
  const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 120, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

describe('cliProgress', () => {
  it('draws the label, megabytes done of total and the file, and finishes at 100 %', () => {
    const terminal = fakeTerminal();
    const onProgress = cliProgress('pull gpt2', terminal.stream);
    onProgress(0, 4_000_000, 'config.json');
    onProgress(1_500_000, 4_000_000, 'model.safetensors');
    onProgress(4_000_000, 4_000_000, 'model.safetensors');
    const text = terminal.text();
    expect(text).toContain('pull gpt2 [');
    expect(text).toContain('0.0/4.0 MB config.json');
    expect(text).toContain('4.0/4.0 MB model.safetensors');
    expect(text.endsWith('\n')).toBe(true);
  });
});
