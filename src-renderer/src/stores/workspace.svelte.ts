// Workspace store: what the open workspace holds and the requests that add to it. Components read
// its fields and call its methods; they never call the transport themselves.
import type { ApiErrorInfo, FamilyEntry, ReleaseInfo, SaeEntry, WorkspaceChoices, WorkspaceInfo, WorkspaceListing } from '../../../src-shared/api.js';
import { formatRoute } from '../lib/route.js';
import { api, desktopWorkspaceDialog } from '../lib/transport/index.js';
import { errorInfo } from './errors.js';

class WorkspaceStore {
  info = $state<WorkspaceInfo | null>(null);
  listing = $state<WorkspaceListing | null>(null);
  /** The last failure; cleared by the next success. */
  error = $state<ApiErrorInfo | null>(null);
  busy = $state(false);
  /** The public releases the compute side can download by name; null until loadReleases. */
  releases = $state<ReleaseInfo[] | null>(null);
  /** The workspaces the app may open (workspace.recent); null until loadChoices. */
  choices = $state<WorkspaceChoices | null>(null);
  /** Why listing, opening or creating a workspace failed (jobs still running, a name taken…). */
  choicesError = $state<ApiErrorInfo | null>(null);
  /** A workspace is being opened: the page starts again once it is. */
  opening = $state(false);
  /** The desktop app's folder dialog; null in a browser, which opens only the listed workspaces. */
  readonly folderDialog = desktopWorkspaceDialog();

  get models() {
    return this.listing?.models ?? [];
  }

  get families(): FamilyEntry[] {
    return this.listing?.families ?? [];
  }

  get saes(): SaeEntry[] {
    return this.listing?.saes ?? [];
  }

  sae(id: string): SaeEntry | undefined {
    return this.saes.find((s) => s.id === id);
  }

  family(id: string): FamilyEntry | undefined {
    return this.families.find((f) => f.id === id);
  }

  /** The model an SAE was trained on (its cfg's model_name is the model folder's name), if the workspace has it. */
  modelOf(sae: SaeEntry | undefined): string | undefined {
    if (!sae) return undefined;
    const base = sae.modelName.split(/[\\/]/).pop();
    return this.models.find((m) => m.id === sae.modelName || m.id === base)?.id;
  }

  /** Why an SAE cannot be browsed, when its model is missing; null when it can. */
  missingModel(sae: SaeEntry | undefined): string | null {
    if (!sae || this.modelOf(sae)) return null;
    return `${sae.id} was trained on model "${sae.modelName}", which is not in this workspace's models (have: ${this.models.map((m) => m.id).join(', ') || 'none'})`;
  }

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

  /** Starts a Hub download job; returns its id, or null with `error` set. */
  async pullModel(name: string): Promise<string | null> {
    let jobId: string | null = null;
    await this.run(async () => {
      jobId = (await api.workspace.pullModel({ name })).jobId;
    });
    return jobId;
  }

  /**
   * Builds the demo in this workspace (the shipped model, a family of three sizes on it, harvested and
   * mapped: what `sae-explorer demo` does) as one job; returns its id, null when all of it is built
   * already or when the request failed (`error` set then).
   */
  async buildDemo(): Promise<string | null> {
    let jobId: string | null = null;
    await this.run(async () => {
      jobId = (await api.demo.build({})).jobId;
      this.listing = await api.workspace.list();
    });
    return jobId;
  }

  async loadReleases(): Promise<void> {
    if (this.releases) return;
    await this.run(async () => {
      this.releases = await api.saes.releases();
    });
  }

  /** Starts the download of a release (all its layers when `layers` is omitted); returns the job id, or null with `error` set. */
  async importRelease(release: string, layers?: number[]): Promise<string | null> {
    let jobId: string | null = null;
    await this.run(async () => {
      jobId = (await api.saes.importRelease(layers ? { release, layers } : { release })).jobId;
    });
    return jobId;
  }

  async loadChoices(): Promise<void> {
    try {
      this.choices = await api.workspace.recent();
      this.choicesError = null;
    } catch (err) {
      this.choicesError = errorInfo(err);
    }
  }

  /** Opens a listed workspace by id; the page then starts again (restart). */
  async open(id: string): Promise<void> {
    await this.switching(async () => {
      await api.workspace.open({ id });
      this.restart();
    });
  }

  /** Creates a workspace by name under the workspaces root and opens it. */
  async create(name: string): Promise<void> {
    await this.switching(async () => {
      const made = await api.workspace.create({ name });
      await api.workspace.open({ id: made.id });
      this.restart();
    });
  }

  /** The desktop app: a folder chosen in the native dialog; the main process reloads the page. */
  async openFolder(): Promise<void> {
    const dialog = this.folderDialog;
    if (!dialog) return;
    await this.switching(async () => {
      // Cancelled: nothing opens and the page stays.
      if ((await dialog()) === null) this.opening = false;
    });
  }

  /** Restarts the page whenever another workspace opens, from this page or another; returns the unsubscribe function. */
  followOpens(): () => void {
    return api.onEvent((event) => {
      if (event.type === 'workspace.opened') this.restart();
    });
  }

  /** Every store holds the old workspace's state, so the page starts again, on the home screen. */
  private restart(): void {
    this.opening = true;
    window.location.hash = formatRoute({ screen: 'home' });
    window.location.reload();
  }

  private async switching(action: () => Promise<void>): Promise<void> {
    this.opening = true;
    this.choicesError = null;
    try {
      await action();
    } catch (err) {
      this.choicesError = errorInfo(err);
      this.opening = false;
    }
  }

  private async run(action: () => Promise<void>): Promise<boolean> {
    this.busy = true;
    try {
      await action();
      this.error = null;
      return true;
    } catch (err) {
      this.error = errorInfo(err);
      return false;
    } finally {
      this.busy = false;
    }
  }
}

export const workspace = new WorkspaceStore();
