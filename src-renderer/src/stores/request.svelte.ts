// One request's state for a screen: the params the shown result answers, the result, the last
// error, and whether a call is in flight. A newer call's answer wins over an older one's.
import type { ApiErrorInfo } from '../../../src-shared/api.js';
import { errorInfo } from './errors.js';

export class RequestState<P, R> {
  /** The params `result` answers (the form may have changed since). */
  params = $state<P | null>(null);
  result = $state<R | null>(null);
  error = $state<ApiErrorInfo | null>(null);
  busy = $state(false);
  private latest = 0;

  constructor(private readonly call: (params: P) => Promise<R>) {}

  async run(params: P): Promise<void> {
    const mine = ++this.latest;
    this.busy = true;
    try {
      const result = await this.call(params);
      if (mine !== this.latest) return;
      this.params = params;
      this.result = result;
      this.error = null;
    } catch (err) {
      if (mine === this.latest) this.error = errorInfo(err);
    } finally {
      if (mine === this.latest) this.busy = false;
    }
  }
}
