// Which stream updates a screen follows. A start call answers with the stream's id, but its first
// updates may arrive before that answer (events and answers travel separately, over IPC and over
// HTTP + WebSocket alike), so while a start is in flight every update is kept, and once the id is
// known the ones of that stream are handed back in order; updates of other streams are dropped.

/** Updates kept while a start is in flight; a stream runs at most a few steps ahead of its reader. */
const MAX_EARLY = 64;

export class StreamFollower<U extends { streamId: string }> {
  private id: string | null = null;
  private early: U[] | null = null;

  /** The followed stream's id, null when none is followed. */
  get current(): string | null {
    return this.id;
  }

  /** A start call is in flight: stop following the stream before and keep what comes. */
  expect(): void {
    this.id = null;
    this.early = [];
  }

  /** The start answered with `id`: follow it, and take its updates that came first, in order. */
  started(id: string): U[] {
    const mine = (this.early ?? []).filter((u) => u.streamId === id);
    this.id = id;
    this.early = null;
    return mine;
  }

  /** Whether `update` is the followed stream's; anything else is kept while a start is in flight. */
  accept(update: U): boolean {
    if (update.streamId === this.id) return true;
    if (this.early && this.early.length < MAX_EARLY) this.early.push(update);
    return false;
  }

  /** The followed stream has ended (or its start failed). */
  end(): void {
    this.id = null;
    this.early = null;
  }
}
