// The Steer screen's completions as they stream (steer.stream): each update replaces the shown
// result (updates are cumulative), is acknowledged so the compute side keeps going, and a newer run
// or the Cancel button stops the stream before. A closed page stops acknowledging; the compute side
// then stops the stream once its lease lapses, and `pagehide` cancels it at once where it can.
import type { ApiErrorInfo, SteerParams, SteerResult, SteerStreamUpdate } from '../../../src-shared/api.js';
import { StreamFollower } from '../lib/stream-follower.js';
import { api } from '../lib/transport/index.js';
import { errorInfo } from './errors.js';

export class SteerStream {
  /** The params `result` answers. */
  params = $state<SteerParams | null>(null);
  /** Both completions so far; null before the first update of a run. */
  result = $state<SteerResult | null>(null);
  error = $state<ApiErrorInfo | null>(null);
  /** Steps done of those planned, while a stream runs. */
  progress = $state<{ step: number; total: number } | null>(null);
  /** Set when the user stopped the stream: the step it stopped after. */
  stoppedAt = $state<number | null>(null);
  private starting = $state(false);
  private readonly follower = new StreamFollower<SteerStreamUpdate>();
  private latest = 0;
  private listening = false;

  get busy(): boolean {
    return this.starting || this.progress !== null;
  }

  async run(params: SteerParams): Promise<void> {
    this.listen();
    this.cancel();
    const mine = ++this.latest;
    this.starting = true;
    this.follower.expect();
    try {
      const { streamId } = await api.steer.stream(params);
      if (mine !== this.latest) {
        void api.steer.cancel({ streamId }).catch(() => {});
        return;
      }
      this.params = params;
      this.result = null;
      this.error = null;
      this.stoppedAt = null;
      this.progress = { step: 0, total: params.maxNewTokens ?? 20 };
      for (const update of this.follower.started(streamId)) this.show(update);
    } catch (err) {
      if (mine !== this.latest) return;
      this.follower.end();
      this.error = errorInfo(err);
    } finally {
      if (mine === this.latest) this.starting = false;
    }
  }

  /** Stops the running stream; its last update shows what was generated until then. */
  cancel(): void {
    const streamId = this.follower.current;
    if (streamId === null || this.progress === null) return;
    this.stoppedAt = this.progress.step;
    void api.steer.cancel({ streamId }).catch(() => {});
  }

  private listen(): void {
    if (this.listening) return;
    this.listening = true;
    api.onEvent((event) => event.type === 'steer.stream' && this.follower.accept(event.update) && this.show(event.update));
    window.addEventListener('pagehide', () => this.cancel());
  }

  private show(update: SteerStreamUpdate): void {
    this.result = update.result;
    if (update.state === 'running') {
      this.progress = { step: update.step, total: update.total };
      // A failed ack needs no handling here: the stream's own final update reports what it led to.
      void api.steer.ack({ streamId: update.streamId, received: update.step }).catch(() => {});
      return;
    }
    this.progress = null;
    this.follower.end();
    if (update.state === 'cancelled' && this.stoppedAt !== null) this.stoppedAt = update.step;
    else if (update.error) this.error = update.error;
  }
}
