// A real compute side (Dispatcher) in the test's process, with the start and close a shell sees, so
// workspace switching can be tested without spawning node. `starting` lets a test hold or fail the start.
import type { ComputeBackend } from '../../../src-main/jobs/switch.js';
import { Dispatcher } from '../../../src-main/jobs/dispatcher.js';

export class InProcessCompute extends Dispatcher implements ComputeBackend {
  closed = false;
  constructor(readonly folder: string, private readonly starting: Promise<void> = Promise.resolve()) {
    super({ workspace: folder, engine: { backend: () => null, start: async () => 'none' }, warn: () => {} });
  }
  start(): Promise<void> {
    return this.starting;
  }
  override async close(): Promise<void> {
    this.closed = true;
    await super.close();
  }
}
