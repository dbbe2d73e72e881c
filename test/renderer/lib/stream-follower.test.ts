import { describe, expect, it } from 'vitest';
import { StreamFollower } from '../../../src-renderer/src/lib/stream-follower.js';

const update = (streamId: string, step: number) => ({ streamId, step });

describe('StreamFollower', () => {
  it('hands back, in order, the updates of its stream that came before the start answered, and drops the others', () => {
    const follower = new StreamFollower<ReturnType<typeof update>>();
    follower.expect();
    expect(follower.accept(update('steer-2', 1))).toBe(false);
    expect(follower.accept(update('steer-1', 7))).toBe(false);
    expect(follower.accept(update('steer-2', 2))).toBe(false);
    expect(follower.started('steer-2')).toEqual([update('steer-2', 1), update('steer-2', 2)]);
    expect(follower.current).toBe('steer-2');
    expect(follower.accept(update('steer-2', 3))).toBe(true);
    expect(follower.accept(update('steer-1', 8))).toBe(false);
  });

  it('follows nothing before a start, and nothing of an earlier stream after a new start or an end', () => {
    const follower = new StreamFollower<ReturnType<typeof update>>();
    expect(follower.accept(update('steer-1', 1))).toBe(false);
    expect(follower.started('steer-1')).toEqual([]);
    follower.expect();
    expect(follower.accept(update('steer-1', 2))).toBe(false);
    expect(follower.started('steer-3')).toEqual([]);
    follower.end();
    expect(follower.current).toBeNull();
    expect(follower.accept(update('steer-3', 1))).toBe(false);
  });
});
