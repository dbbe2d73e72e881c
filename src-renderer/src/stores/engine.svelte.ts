// Engine store: which backend the compute process runs on (asked once at start, which starts the
// engine) and, on demand, the doctor report behind the Doctor panel.
import type { ApiErrorInfo, Diagnostics, EngineReport } from '../../../src-shared/api.js';
import { api } from '../lib/transport/index.js';
import { errorInfo } from './errors.js';

class EngineStore {
  report = $state<EngineReport | null>(null);
  diagnostics = $state<Diagnostics | null>(null);
  /** The last failed request; cleared by the next success. */
  error = $state<ApiErrorInfo | null>(null);
  busy = $state(false);

  async load(): Promise<void> {
    await this.run(async () => {
      this.report = await api.engine.info();
    });
  }

  async runDoctor(): Promise<void> {
    await this.run(async () => {
      this.diagnostics = await api.engine.doctor();
      this.report = this.diagnostics.engine;
    });
  }

  private async run(action: () => Promise<void>): Promise<void> {
    this.busy = true;
    try {
      await action();
      this.error = null;
    } catch (err) {
      this.error = errorInfo(err);
    } finally {
      this.busy = false;
    }
  }
}

export const engine = new EngineStore();
