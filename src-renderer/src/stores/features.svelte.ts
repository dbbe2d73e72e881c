// Features store: the latent list of one SAE (fetched in chunks as the virtual list scrolls) and
// the feature page being viewed, with a small cache so back/forward between pages is instant.
import type { ApiErrorInfo, FeatureId, FeaturePage, FeatureSort, FeatureSummary } from '../../../src-shared/api.js';
import { api } from '../lib/transport/index.js';
import { errorInfo } from './errors.js';

const CHUNK = 200;
const PAGE_CACHE = 32;

export interface ListQuery {
  model: string;
  sae: string;
  sort: FeatureSort;
  descending: boolean;
  tokenFilter: string;
}

function sameQuery(a: ListQuery | null, b: ListQuery): boolean {
  return !!a && a.model === b.model && a.sae === b.sae && a.sort === b.sort && a.descending === b.descending && a.tokenFilter === b.tokenFilter;
}

export function featureKey(id: FeatureId): string {
  return `${id.model}|${id.sae}|${id.latent}`;
}

class FeaturesStore {
  /** Bumped when the database changed under us (a harvest finished); screens re-ask when it moves. */
  epoch = $state(0);
  query = $state<ListQuery | null>(null);
  /** Rows matching the query, over all chunks; null until the first chunk arrives. */
  total = $state<number | null>(null);
  /** Bumped when a chunk lands, so the list re-reads `row()`. */
  rowsVersion = $state(0);
  listError = $state<ApiErrorInfo | null>(null);
  listLoading = $state(false);

  pageId = $state<FeatureId | null>(null);
  page = $state<FeaturePage | null>(null);
  pageError = $state<ApiErrorInfo | null>(null);
  pageLoading = $state(false);

  private rows = new Map<number, FeatureSummary>();
  private pending = new Set<number>();
  private generation = 0;
  private readonly pages = new Map<string, FeaturePage>();

  row(index: number): FeatureSummary | undefined {
    return this.rows.get(index);
  }

  /** Switches the list to a new query (SAE, sort or filter) and loads its first chunk. */
  async setQuery(query: ListQuery): Promise<void> {
    if (sameQuery(this.query, query) && this.total !== null) return;
    this.query = query;
    this.generation++;
    this.rows = new Map();
    this.pending.clear();
    this.total = null;
    this.listError = null;
    this.rowsVersion++;
    await this.loadChunk(0);
  }

  /** Makes sure rows [start, end) are loaded or on their way. */
  ensureRows(start: number, end: number): void {
    // After a failure the list shows the error; retrying on every scroll would flood the API.
    if (this.listError) return;
    for (let chunk = Math.floor(start / CHUNK); chunk * CHUNK < end; chunk++) {
      if (!this.rows.has(chunk * CHUNK) && !this.pending.has(chunk)) void this.loadChunk(chunk);
    }
  }

  private async loadChunk(chunk: number): Promise<void> {
    const query = this.query;
    if (!query) return;
    const generation = this.generation;
    this.pending.add(chunk);
    this.listLoading = true;
    try {
      const page = await api.features.list({
        model: query.model,
        sae: query.sae,
        sort: query.sort,
        descending: query.descending,
        tokenFilter: query.tokenFilter || undefined,
        offset: chunk * CHUNK,
        limit: CHUNK,
      });
      if (generation !== this.generation) return;
      page.rows.forEach((row, i) => this.rows.set(chunk * CHUNK + i, row));
      this.total = page.total;
      this.listError = null;
      this.rowsVersion++;
    } catch (err) {
      if (generation === this.generation) this.listError = errorInfo(err);
    } finally {
      this.pending.delete(chunk);
      if (generation === this.generation) this.listLoading = this.pending.size > 0;
    }
  }

  /** Loads the feature page of `id` (from the cache when seen recently). */
  async open(id: FeatureId): Promise<void> {
    const key = featureKey(id);
    this.pageId = id;
    this.pageError = null;
    const cached = this.pages.get(key);
    if (cached) {
      // A request for another latent may still be in flight; its answer will be ignored.
      this.page = cached;
      this.pageLoading = false;
      return;
    }
    this.page = null;
    this.pageLoading = true;
    try {
      const page = await api.features.page(id);
      this.pages.set(key, page);
      if (this.pages.size > PAGE_CACHE) this.pages.delete(this.pages.keys().next().value!);
      if (this.pageId && featureKey(this.pageId) === key) this.page = page;
    } catch (err) {
      if (this.pageId && featureKey(this.pageId) === key) this.pageError = errorInfo(err);
    } finally {
      if (this.pageId && featureKey(this.pageId) === key) this.pageLoading = false;
    }
  }

  /** Forgets everything fetched, after a harvest rewrote the database. */
  invalidate(): void {
    this.epoch++;
    this.pages.clear();
    this.query = null;
    this.total = null;
    this.rows = new Map();
    this.generation++;
    this.rowsVersion++;
  }
}

export const features = new FeaturesStore();
