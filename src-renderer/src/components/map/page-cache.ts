// Feature pages fetched lazily for hover and selection and kept (most recently used last) so moving
// the mouse back and forth over the same points asks the API once. Requests in flight are shared.

export class PageCache<K, V> {
  private readonly done = new Map<string, V>();
  private readonly pending = new Map<string, Promise<V>>();

  constructor(
    private readonly fetch: (key: K) => Promise<V>,
    private readonly keyOf: (key: K) => string,
    private readonly limit: number,
  ) {
    if (!(limit >= 1)) throw new Error(`PageCache: limit must be at least 1, got ${limit}`);
  }

  /** The cached value, or undefined without fetching. */
  peek(key: K): V | undefined {
    return this.done.get(this.keyOf(key));
  }

  get(key: K): Promise<V> {
    const k = this.keyOf(key);
    const cached = this.done.get(k);
    if (cached !== undefined) {
      this.done.delete(k);
      this.done.set(k, cached);
      return Promise.resolve(cached);
    }
    const inFlight = this.pending.get(k);
    if (inFlight) return inFlight;
    const request = this.fetch(key).then(
      (value) => {
        this.pending.delete(k);
        this.done.set(k, value);
        while (this.done.size > this.limit) this.done.delete(this.done.keys().next().value!);
        return value;
      },
      (err: unknown) => {
        this.pending.delete(k);
        throw err;
      },
    );
    this.pending.set(k, request);
    return request;
  }
}
