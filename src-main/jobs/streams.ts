// Streams: work that answers its request at once and then reports piece by piece in events (a
// generation, token by token). Unlike a job it runs beside whatever job is running, and it has a
// reader: the client acknowledges the pieces it has received, the producer waits once it is `window`
// pieces ahead, and a stream nobody acknowledges within the lease is stopped, so a closed page
// cannot leave a generation running. Between pieces the producer yields the event loop, so pings,
// acknowledgements, cancels and other requests are answered while it runs; no piece is bounded by
// the 30 s call deadline, only each step is.
import { ApiError } from '../../src-shared/api.js';
import type { ApiEvent } from '../../src-shared/api.js';

export interface StreamOptions {
  /** Pieces a stream may run ahead of its last acknowledgement. */
  window: number;
  /** How long a stream that is `window` ahead waits for an acknowledgement before it stops, in ms. */
  leaseMs: number;
}

/** What a producer holds while it runs. */
export interface OpenStream {
  id: string;
  /** Aborted by cancel, by a lapsed lease and by shutdown; its reason is the ApiError to report. */
  signal: AbortSignal;
  /** Pushes one of the stream's events to every client. */
  emit(event: ApiEvent): void;
  /**
   * Call after emitting piece `sent` (1, 2, …): yields the event loop, waits while the reader is
   * `window` pieces behind, and throws the abort reason once the stream is stopped.
   */
  sent(sent: number): Promise<void>;
  /** Call when the producer ends, however it ends. */
  close(): void;
}

interface Entry {
  abort: AbortController;
  acked: number;
  wake: (() => void) | null;
  /** Settles when the producer has closed the stream. */
  closed: Promise<void>;
  markClosed: () => void;
}

export class StreamManager {
  private readonly streams = new Map<string, Entry>();
  private nextId = 1;

  constructor(
    private readonly emit: (event: ApiEvent) => void,
    private readonly options: StreamOptions,
  ) {}

  open(prefix: string): OpenStream {
    const id = `${prefix}-${this.nextId++}`;
    let markClosed = (): void => {};
    const closed = new Promise<void>((resolve) => (markClosed = resolve));
    const entry: Entry = { abort: new AbortController(), acked: 0, wake: null, closed, markClosed };
    this.streams.set(id, entry);
    const { signal } = entry.abort;
    const { window, leaseMs } = this.options;
    return {
      id,
      signal,
      emit: this.emit,
      sent: async (sent) => {
        await new Promise<void>((resolve) => setImmediate(resolve));
        while (!signal.aborted && sent - entry.acked >= window) {
          let timer: NodeJS.Timeout | undefined;
          const lapsed = await new Promise<boolean>((resolve) => {
            entry.wake = () => resolve(false);
            timer = setTimeout(() => resolve(true), leaseMs);
          });
          clearTimeout(timer);
          entry.wake = null;
          if (lapsed && sent - entry.acked >= window) {
            entry.abort.abort(
              new ApiError('cancelled', `stream ${id} stopped: no client acknowledged piece ${entry.acked + 1} of it within ${leaseMs / 1000} s (the page that started it is gone)`),
            );
          }
        }
        if (signal.aborted) throw signal.reason;
      },
      close: () => {
        this.streams.delete(id);
        entry.markClosed();
      },
    };
  }

  ack(method: string, id: string, received: number): void {
    const entry = this.find(method, id);
    entry.acked = Math.max(entry.acked, received);
    entry.wake?.();
  }

  cancel(method: string, id: string): void {
    const entry = this.find(method, id);
    entry.abort.abort(new ApiError('cancelled', `stream ${id} was cancelled`));
    entry.wake?.();
  }

  /**
   * Stops every stream (process shutdown) and waits until their producers have reported them
   * cancelled and let go of what they hold (the model, KV caches), which happens at their next step.
   */
  async shutdown(): Promise<void> {
    const closing = [...this.streams].map(([id, entry]) => {
      entry.abort.abort(new ApiError('cancelled', `stream ${id} stopped: the compute process is shutting down`));
      entry.wake?.();
      return entry.closed;
    });
    await Promise.all(closing);
  }

  private find(method: string, id: string): Entry {
    const entry = this.streams.get(id);
    // A finished stream is forgotten, so a late ack or cancel says so rather than failing silently.
    if (!entry) throw new ApiError('not_found', `${method}: no running stream "${id}" (it finished, was stopped, or ran in an earlier compute process)`);
    return entry;
  }
}
