// Workspace store: the listing of the open workspace and the actions that change it. Components read
// its fields and call its methods; they never call the transport themselves.
import type { WorkspaceInfo, WorkspaceListing } from '../../../../src-shared/api.js';
import { api } from '../transport/index.js';

class WorkspaceStore {
  info = $state<WorkspaceInfo | null>(null);
  listing = $state<WorkspaceListing | null>(null);
  /** The last failure, as the API phrased it; cleared by the next success. */
  error = $state<string | null>(null);
  busy = $state(false);

  async refresh(): Promise<void> {
    await this.run(async () => {
      [this.info, this.listing] = await Promise.all([api.workspace.info(), api.workspace.list()]);
    });
  }

  async createTinyModel(name: string): Promise<boolean> {
    return this.run(async () => {
      await api.workspace.createTinyModel({ name });
      this.listing = await api.workspace.list();
    });
  }

  private async run(action: () => Promise<void>): Promise<boolean> {
    this.busy = true;
    try {
      await action();
      this.error = null;
      return true;
    } catch (err) {
      this.error = (err as Error).message;
      return false;
    } finally {
      this.busy = false;
    }
  }
}

export const workspace = new WorkspaceStore();
