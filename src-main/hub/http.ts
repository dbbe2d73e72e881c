// Talking to a Hugging Face hub over HTTP: endpoint and token from the environment, the resolve URL
// layout, and the HEAD request that tells a file's commit, etag and size before any byte is fetched.
// Errors are one line that names the URL and says what to do.

/** How long a metadata request may stay unanswered before we call the hub unreachable. */
const HEAD_TIMEOUT_MS = 30_000;
const MAX_REDIRECTS = 10;

export class HubError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HubError';
  }
}

/** `HF_ENDPOINT` without a trailing slash; default https://huggingface.co. */
export function hubEndpoint(): string {
  return (process.env.HF_ENDPOINT || 'https://huggingface.co').replace(/\/+$/, '');
}

/** huggingface_hub's reading of `HF_HUB_OFFLINE`: 1, ON, YES or TRUE in any case. */
export function isOffline(): boolean {
  return ['1', 'ON', 'YES', 'TRUE'].includes((process.env.HF_HUB_OFFLINE ?? '').trim().toUpperCase());
}

function hubToken(): string | undefined {
  return process.env.HF_TOKEN || process.env.HUGGING_FACE_HUB_TOKEN || undefined;
}

/** `{endpoint}/{repo}/resolve/{revision}/{file}`; datasets under `{endpoint}/datasets/`. */
export function resolveUrl(repoId: string, repoType: 'model' | 'dataset', revision: string, file: string): string {
  const prefix = repoType === 'dataset' ? 'datasets/' : '';
  const encodedFile = file.split('/').map(encodeURIComponent).join('/');
  return `${hubEndpoint()}/${prefix}${repoId}/resolve/${encodeURIComponent(revision)}/${encodedFile}`;
}

/**
 * Headers for a request to `url`. The token goes only to the hub itself, never to the CDN an LFS
 * file redirects to. `identity` encoding keeps Content-Length equal to the file's size.
 */
export function requestHeaders(url: string, extra: Record<string, string> = {}): Record<string, string> {
  const headers: Record<string, string> = { 'Accept-Encoding': 'identity', 'User-Agent': 'sae-explorer', ...extra };
  const token = hubToken();
  if (token && new URL(url).origin === new URL(hubEndpoint()).origin) headers.Authorization = `Bearer ${token}`;
  return headers;
}

function causeOf(err: unknown): string {
  const e = err as { message?: string; cause?: { message?: string; code?: string } };
  return e.cause?.message || e.cause?.code || e.message || String(err);
}

/** Thrown when the hub cannot be reached at all (as opposed to answering with an error). */
export class HubUnreachableError extends HubError {}

export function unreachable(err: unknown): HubUnreachableError {
  return new HubUnreachableError(`cannot reach ${hubEndpoint()}: ${causeOf(err)} (set HF_ENDPOINT or use a local folder)`);
}

/** One-line reason for a failed request, with the fix when we know it. */
export function httpProblem(url: string, status: number, statusText: string, errorCode: string | null): HubError {
  if (status === 401 || status === 403) {
    return new HubError(`${url}: ${status} ${statusText} — the repo is private or gated; accept its terms on the Hub and set HF_TOKEN`);
  }
  if (status === 404) {
    const what = errorCode === 'EntryNotFound' ? 'the file does not exist in this repo' : errorCode === 'RevisionNotFound' ? 'the revision does not exist' : 'the repo or file does not exist (check the name)';
    return new HubError(`${url}: 404 Not Found — ${what}`);
  }
  return new HubError(`${url}: ${status} ${statusText}`);
}

export interface FileMetadata {
  /** The commit the revision resolved to (X-Repo-Commit). */
  commit: string;
  /** The blob's name in the cache: sha256 for LFS files, git blob sha1 otherwise. */
  etag: string;
  /** Bytes, when the hub said so. */
  size: number | null;
  /** Where to GET the bytes: the resolve URL itself, or the CDN an LFS file redirects to. */
  downloadUrl: string;
}

export type HeadResult = { found: true; meta: FileMetadata } | { found: false; commit: string | null; error: HubError };

function normalizeEtag(raw: string): string {
  return raw.replace(/^W\//, '').replace(/^"|"$/g, '');
}

function metadataFrom(res: Response, url: string, downloadUrl: string): FileMetadata {
  const commit = res.headers.get('x-repo-commit');
  const etag = res.headers.get('x-linked-etag') ?? res.headers.get('etag');
  if (!commit || !etag) {
    throw new HubError(`${url}: the answer lacks ${!commit ? 'X-Repo-Commit' : 'ETag'}; is ${hubEndpoint()} (HF_ENDPOINT) a Hugging Face hub?`);
  }
  // A redirect's Content-Length is that of its own (empty) body, never the file's.
  const size = res.headers.get('x-linked-size') ?? (res.status >= 300 ? null : res.headers.get('content-length'));
  return { commit, etag: normalizeEtag(etag), size: size === null ? null : Number(size), downloadUrl };
}

/**
 * HEAD on a resolve URL, as huggingface_hub does it: relative redirects (a renamed repo) are
 * followed; an absolute redirect is the LFS CDN, whose URL is kept for the download while the
 * metadata comes from the hub's own answer.
 */
export async function headFile(url: string, signal?: AbortSignal): Promise<HeadResult> {
  let current = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const timeout = AbortSignal.timeout(HEAD_TIMEOUT_MS);
    let res: Response;
    try {
      res = await fetch(current, { method: 'HEAD', redirect: 'manual', headers: requestHeaders(current), signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      throw timeout.aborted ? unreachable(new Error(`no answer within ${HEAD_TIMEOUT_MS / 1000} s`)) : unreachable(err);
    }
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      const next = new URL(location, current).toString();
      if (/^[a-z][a-z0-9+.-]*:/i.test(location)) return { found: true, meta: metadataFrom(res, url, next) };
      current = next;
      continue;
    }
    if (res.ok) return { found: true, meta: metadataFrom(res, url, current) };
    const error = httpProblem(url, res.status, res.statusText, res.headers.get('x-error-code'));
    if (res.status === 404) return { found: false, commit: res.headers.get('x-repo-commit'), error };
    throw error;
  }
  throw new HubError(`${url}: more than ${MAX_REDIRECTS} redirects`);
}
