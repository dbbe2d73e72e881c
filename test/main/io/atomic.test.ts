import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createFileExclusive, makeTempSiblingDir, removeStaleTempSiblings, replaceDirAtomic, withAtomicFile, writeAll, writeFileAtomic, writeJsonAtomic } from '../../../src-main/io/atomic.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'atomic-test-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('atomic files', () => {
  it('writes text and bytes, replacing an existing file, with no temp file left', () => {
    const file = path.join(dir, 'a.txt');
    writeFileAtomic(file, 'first');
    writeFileAtomic(file, Uint8Array.from([0x68, 0x69]));
    expect(readFileSync(file, 'utf8')).toBe('hi');
    expect(readdirSync(dir)).toEqual(['a.txt']);
  });

  it('writes pretty JSON with a trailing newline and refuses values JSON cannot hold', () => {
    const file = path.join(dir, 'cfg.json');
    writeJsonAtomic(file, { k: 32, name: 'x' });
    expect(readFileSync(file, 'utf8')).toBe('{\n  "k": 32,\n  "name": "x"\n}\n');
    expect(() => writeJsonAtomic(path.join(dir, 'u.json'), undefined)).toThrow(/u\.json: the value is not JSON-serialisable/);
    expect(readdirSync(dir)).toEqual(['cfg.json']);
  });

  it('keeps the old file and removes the temp file when the writer throws midway', () => {
    const file = path.join(dir, 'keep.bin');
    writeFileAtomic(file, 'old');
    expect(() => withAtomicFile(file, (fd) => {
      writeAll(fd, Buffer.from('partial new content'));
      throw new Error('disk full');
    })).toThrow('disk full');
    expect(readFileSync(file, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['keep.bin']);
  });

  it('fails with the OS error, and leaves nothing, when the folder does not exist', () => {
    expect(() => writeFileAtomic(path.join(dir, 'nope', 'x.txt'), 'x')).toThrow(/ENOENT/);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('replaceDirAtomic', () => {
  it('moves a built folder into place, replacing the old one whole', () => {
    const final = path.join(dir, 'run');
    mkdirSync(final);
    writeFileSync(path.join(final, 'old.txt'), 'old');
    const tmp = makeTempSiblingDir(final);
    expect(path.dirname(tmp)).toBe(dir);
    writeFileSync(path.join(tmp, 'new.txt'), 'new');
    replaceDirAtomic(tmp, final);
    expect(readdirSync(final)).toEqual(['new.txt']);
    expect(readdirSync(dir)).toEqual(['run']);
  });

  it("leaves an ordinary readable folder, not mkdtemp's private one", () => {
    const final = path.join(dir, 'sae');
    replaceDirAtomic(makeTempSiblingDir(final), final);
    expect(statSync(final).mode & 0o777).toBe(0o755);
  });

  it('makes the missing parents of a new folder, so an export may name a fresh path', () => {
    const final = path.join(dir, 'resources', 'models', 'lm');
    replaceDirAtomic(makeTempSiblingDir(final), final);
    expect(readdirSync(path.join(dir, 'resources', 'models'))).toEqual(['lm']);
  });

  it('creates the folder when it did not exist', () => {
    const final = path.join(dir, 'fresh');
    const tmp = makeTempSiblingDir(final);
    writeFileSync(path.join(tmp, 'f.txt'), '1');
    replaceDirAtomic(tmp, final);
    expect(readFileSync(path.join(final, 'f.txt'), 'utf8')).toBe('1');
  });

  it('refuses a temp folder that is not a sibling', () => {
    const other = mkdtempSync(path.join(tmpdir(), 'atomic-elsewhere-'));
    try {
      expect(() => replaceDirAtomic(other, path.join(dir, 'x'))).toThrow(/must be a sibling of .*makeTempSiblingDir/);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});

describe('createFileExclusive', () => {
  it('creates a file whole, and refuses to replace one that exists', () => {
    const target = path.join(dir, 'job-1.json');
    expect(createFileExclusive(target, 'first')).toBe(true);
    expect(createFileExclusive(target, 'second')).toBe(false);
    expect(readFileSync(target, 'utf8')).toBe('first');
    expect(readdirSync(dir)).toEqual(['job-1.json']);
  });
});

describe('removeStaleTempSiblings', () => {
  it('removes the temporary files and folders of dead writers only', () => {
    writeFileSync(path.join(dir, '.job-1.json.4242.0badf00d.tmp'), '{ half');
    writeFileSync(path.join(dir, '.job-2.json.7.deadbeef.tmp'), '{ being written');
    writeFileSync(path.join(dir, 'job-3.json'), '{}');
    mkdirSync(path.join(dir, '.16.tmp-4242-a1B2c3'));
    mkdirSync(path.join(dir, '32.old-4242-0badf00d'));
    mkdirSync(path.join(dir, '32'));
    expect(removeStaleTempSiblings(dir, (pid) => pid === 7).sort()).toEqual(['.16.tmp-4242-a1B2c3', '.job-1.json.4242.0badf00d.tmp', '32.old-4242-0badf00d']);
    expect(readdirSync(dir).sort()).toEqual(['.job-2.json.7.deadbeef.tmp', '32', 'job-3.json']);
  });

  it('recognises what the writers here leave behind', () => {
    const target = path.join(dir, 'model');
    mkdirSync(target);
    const building = makeTempSiblingDir(target);
    expect(removeStaleTempSiblings(dir, () => false)).toEqual([path.basename(building)]);
  });
});
