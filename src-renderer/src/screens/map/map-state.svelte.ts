// State of one map screen (model, family): the FeatureMap in its basis and its GPU arrays, the
// hovered and the selected latent with their feature pages (fetched lazily, cached), and the search.
// The screen's components read it; only this class talks to the API.
import type { ApiErrorInfo, FeatureId, FeaturePage, MapBasis, SaeExplorerApi } from '../../../../src-shared/api.js';
import { decodeFeatureMap, type FeatureMapColumns } from '../../../../src-shared/feature-map.js';
import { buildMapPoints, hexToRgb, sizeRanks, type MapPoints } from '../../components/map/map-points.js';
import { PageCache } from '../../components/map/page-cache.js';
import { PointLookup } from '../../components/map/point-lookup.js';
import { matchSearchHits, type SearchMatch } from '../../components/map/search-hits.js';
import { memberColor } from '../../lib/palette.js';
import { errorInfo } from '../../stores/errors.js';

const PAGE_CACHE = 256;
const SEARCH_LIMIT = 500;

export class MapState {
  map = $state.raw<FeatureMapColumns | null>(null);
  points = $state.raw<MapPoints | null>(null);
  lookup = $state.raw<PointLookup | null>(null);
  /** Palette rank of each SAE of the map (smallest dictionary first). */
  colorRank = $state.raw<number[]>([]);
  loading = $state(false);
  loadError = $state<ApiErrorInfo | null>(null);

  hovered = $state(-1);
  hoveredPage = $state.raw<FeaturePage | null>(null);
  hoverError = $state<ApiErrorInfo | null>(null);

  selected = $state(-1);
  selectedPage = $state.raw<FeaturePage | null>(null);
  selectedError = $state<ApiErrorInfo | null>(null);

  query = $state('');
  searching = $state(false);
  /** Hits of the last search that have a point on this map; null when no search is active. */
  matches = $state.raw<SearchMatch[] | null>(null);
  /** Hits of the last search anywhere in the database (other families included). */
  totalHits = $state(0);
  searchError = $state<ApiErrorInfo | null>(null);

  private readonly pages: PageCache<FeatureId, FeaturePage>;
  private loadGeneration = 0;
  private searchGeneration = 0;

  constructor(
    private readonly api: SaeExplorerApi,
    readonly model: string,
    readonly family: string,
  ) {
    this.pages = new PageCache((id) => api.features.page(id), (id) => `${id.sae}|${id.latent}`, PAGE_CACHE);
  }

  /**
   * Loads the map in `basis` (the server's default, the decoder map, when not given). The selected
   * latent stays selected on the new map when it has a point there, and the search is run again.
   */
  async load(basis?: MapBasis): Promise<void> {
    const generation = ++this.loadGeneration;
    const keep = this.idOf(this.selected);
    this.loading = true;
    this.loadError = null;
    try {
      const map = await this.api.features.map({ model: this.model, family: this.family, ...(basis ? { basis } : {}) });
      if (generation !== this.loadGeneration) return;
      this.setMap(decodeFeatureMap(map));
      const again = keep && this.lookup ? this.lookup.pointOf(keep.sae, keep.latent) : -1;
      if (again >= 0) void this.select(again);
      if (this.query.trim() !== '') void this.search(this.query);
    } catch (err) {
      if (generation === this.loadGeneration) this.loadError = errorInfo(err);
    } finally {
      if (generation === this.loadGeneration) this.loading = false;
    }
  }

  setMap(map: FeatureMapColumns): void {
    const rank = sizeRanks(map.sizes);
    this.points = buildMapPoints(map, (s) => hexToRgb(memberColor(rank[s]!)));
    this.lookup = new PointLookup(map);
    this.colorRank = rank;
    this.map = map;
    this.hovered = this.selected = -1;
    this.hoveredPage = this.selectedPage = null;
    this.matches = null;
  }

  idOf(point: number): FeatureId | null {
    const map = this.map;
    if (!map || point < 0 || point >= map.latent.length) return null;
    return { model: this.model, sae: map.saes[map.sae[point]!]!, latent: map.latent[point]! };
  }

  sizeOf(point: number): number | null {
    const map = this.map;
    if (!map || point < 0 || point >= map.latent.length) return null;
    return map.sizes[map.sae[point]!]!;
  }

  /** Hovering shows what is cached at once and fetches the rest; a newer hover wins. */
  async hover(point: number): Promise<void> {
    if (point === this.hovered) return;
    this.hovered = point;
    this.hoverError = null;
    const id = this.idOf(point);
    this.hoveredPage = id ? (this.pages.peek(id) ?? null) : null;
    if (!id || this.hoveredPage) return;
    try {
      const page = await this.pages.get(id);
      if (this.hovered === point) this.hoveredPage = page;
    } catch (err) {
      if (this.hovered === point) this.hoverError = errorInfo(err);
    }
  }

  /** Selecting fetches the page whose relatives become the feature-splitting links. */
  async select(point: number): Promise<void> {
    this.selected = point;
    this.selectedError = null;
    const id = this.idOf(point);
    this.selectedPage = id ? (this.pages.peek(id) ?? null) : null;
    if (!id || this.selectedPage) return;
    try {
      const page = await this.pages.get(id);
      if (this.selected === point) this.selectedPage = page;
    } catch (err) {
      if (this.selected === point) this.selectedError = errorInfo(err);
    }
  }

  async search(query: string): Promise<void> {
    const generation = ++this.searchGeneration;
    this.query = query;
    this.searchError = null;
    const text = query.trim();
    if (text === '' || !this.lookup) {
      this.matches = null;
      this.totalHits = 0;
      this.searching = false;
      return;
    }
    this.searching = true;
    try {
      const hits = await this.api.features.search({ query: text, limit: SEARCH_LIMIT });
      if (generation !== this.searchGeneration) return;
      this.totalHits = hits.length;
      this.matches = matchSearchHits(hits, this.model, this.lookup);
    } catch (err) {
      if (generation === this.searchGeneration) this.searchError = errorInfo(err);
    } finally {
      if (generation === this.searchGeneration) this.searching = false;
    }
  }
}
