// Datasets: the corpus spec the trainer and harvester take (src-main/data/corpora) for a contract
// dataset id, and the requests that bring a corpus into datasets/ (datasets.add from an upload,
// datasets.pull from the Hub) and look into one (datasets.preview). A corpus is read before it is
// added, so a file the trainer could not read is refused with the reader's reason, not kept.
import { copyFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { ApiError } from '../../../src-shared/api.js';
import type { DatasetAddParams, DatasetEntry, DatasetPreview, DatasetPreviewParams, DatasetPullParams } from '../../../src-shared/api.js';
import type { DomainHandlers } from '../handler.js';
import { DATASET_ID, ENTRY_NAME, readParams } from '../params.js';
import { EMBEDDED_DATASET, type WorkspaceLayout } from '../workspace/layout.js';
import { datasetKind, sizeOnDisk } from '../workspace/scan.js';
import { removeUpload, requireUpload } from '../workspace/uploads.js';
import { newEntry, requireDataset } from './lookup.js';

/** The embedded corpus's name in src-main/data/corpora (DEFAULT_CORPUS there). */
const EMBEDDED_CORPUS = 'sotu';
/** Characters of each previewed document sent back. */
export const PREVIEW_CHARS = 2000;
/** UTF-8 bytes of text tokenized for the token estimate: enough for a stable ratio, a second of CPU. */
const SAMPLE_BYTES = 256 * 1024;

export function corpusSpec(workspace: WorkspaceLayout, method: string, id: string): string {
  const target = requireDataset(workspace, method, id);
  return target === EMBEDDED_DATASET ? EMBEDDED_CORPUS : target;
}

/** The DatasetEntry id a corpus spec (a run record's) names in this workspace, or null when it names none. */
export function datasetIdOf(workspace: WorkspaceLayout, spec: string): string | null {
  if (spec === EMBEDDED_CORPUS) return EMBEDDED_DATASET;
  return path.isAbsolute(spec) && path.dirname(spec) === workspace.dir('datasets') ? path.basename(spec) : null;
}

let tokenizer: Promise<import('../../tokenizer/bpe.js').Gpt2Tokenizer> | null = null;

/** Reads the first documents of a corpus spec and estimates its GPT-2 tokens; reader errors name the file. */
async function preview(spec: string, shown: number, sizeBytes: number): Promise<Omit<DatasetPreview, 'dataset'>> {
  const { openCorpus } = await import('../../data/corpora/index.js');
  tokenizer ??= import('../../tokenizer/load.js').then(({ loadTokenizer }) => loadTokenizer());
  const bpe = await tokenizer;
  const documents: DatasetPreview['documents'] = [];
  const sample = { documents: 0, bytes: 0, tokens: 0 };
  let complete = true;
  for await (const text of openCorpus(spec)) {
    if (sample.bytes >= SAMPLE_BYTES) {
      complete = false;
      break;
    }
    if (documents.length < shown) documents.push({ text: text.slice(0, PREVIEW_CHARS), chars: text.length });
    sample.documents++;
    sample.bytes += Buffer.byteLength(text, 'utf8');
    sample.tokens += bpe.encode(text).length;
  }
  if (sample.documents === 0) throw new Error('it holds no documents');
  const tokens = complete ? sample.tokens : Math.round((sample.tokens / sample.bytes) * sizeBytes);
  return { documents, sample, complete, tokens, sizeBytes };
}

/** What an upload holds as a dataset: one corpus file, or a folder (the uploaded folder, or the files together). */
function uploadedCorpus(folder: string, method: string, upload: string): { source: string; name: string } {
  const top = readdirSync(folder);
  if (top.length === 1) {
    const source = path.join(folder, top[0]!);
    const isDir = statSync(source).isDirectory();
    if (!isDir && datasetKind(source, false) === null) {
      throw new ApiError('bad_request', `${method}: ${top[0]} is not a dataset file; expected .txt, .jsonl (a "text" field per line) or .parquet (a "text" column)`);
    }
    return { source, name: top[0]! };
  }
  return { source: folder, name: upload };
}

export const datasetHandlers: DomainHandlers<'datasets'> = {
  'datasets.add': async (params, { workspace }) => {
    const method = 'datasets.add';
    const p = readParams<DatasetAddParams>(method, params, {
      upload: { type: 'string', ...ENTRY_NAME },
      name: { type: 'string', optional: true, ...DATASET_ID },
    });
    const folder = requireUpload(workspace, method, p.upload);
    let corpus: ReturnType<typeof uploadedCorpus>;
    try {
      corpus = uploadedCorpus(folder, method, p.upload);
    } catch (err) {
      removeUpload(folder);
      throw err;
    }
    const { source, name: uploadedName } = corpus;
    const isDir = statSync(source).isDirectory();
    const extension = isDir ? '' : path.extname(source).toLowerCase();
    // A file keeps its type: the listing and the reader tell a corpus's format by its extension.
    const name = p.name === undefined ? uploadedName : !isDir && path.extname(p.name).toLowerCase() !== extension ? `${p.name}${extension}` : p.name;
    if (name === EMBEDDED_DATASET || !DATASET_ID.pattern.test(name)) throw new ApiError('bad_request', `${method}: "name" must be ${DATASET_ID.patternHint}, got ${JSON.stringify(name)}`);
    // A refused name keeps the upload, so the same files can be added under another one.
    const target = newEntry(workspace, method, 'datasets', 'dataset', name);
    try {
      try {
        await preview(source, 0, sizeOnDisk(source));
      } catch (err) {
        throw new ApiError('bad_request', `${method}: ${uploadedName} cannot be read as a corpus: ${(err as Error).message}`);
      }
      renameSync(source, target);
      return { id: name, path: target, kind: datasetKind(target, isDir)!, sizeBytes: sizeOnDisk(target) } satisfies DatasetEntry;
    } finally {
      removeUpload(folder);
    }
  },

  'datasets.pull': async (params, { workspace, jobs }) => {
    const method = 'datasets.pull';
    const p = readParams<DatasetPullParams>(method, params, {
      hub: { type: 'string', maxLength: 1000, pattern: /^[\w.-]+\/[\w.-]+\/[\w.\/-]+\.parquet(,[\w.\/-]+\.parquet)*$/, patternHint: 'Hub dataset files like "owner/name/data/train-00000-of-00001.parquet"' },
      name: { type: 'string', ...ENTRY_NAME },
    });
    const [owner, repo, ...rest] = p.hub.split('/');
    const files = rest.join('/').split(',');
    if (files.some((file) => file.split('/').some((segment) => segment === '' || segment === '.' || segment === '..'))) {
      throw new ApiError('bad_request', `${method}: "hub" file paths must not hold empty, "." or ".." parts, got ${JSON.stringify(p.hub)}`);
    }
    const { isValidRepoId } = await import('../../hub/cache.js');
    const repoId = `${owner}/${repo}`;
    if (!isValidRepoId(repoId)) throw new ApiError('bad_request', `${method}: "${repoId}" is not a Hugging Face repo id`);
    const target = newEntry(workspace, method, 'datasets', 'dataset', p.name);
    const job = jobs.start({
      kind: 'pull-dataset',
      title: `pull ${p.hub} from the Hub as dataset ${p.name}`,
      pausable: false,
      run: async (job) => {
        const { resolveDatasetFiles } = await import('../../hub/resolve.js');
        const { makeTempSiblingDir, fsyncDir } = await import('../../io/atomic.js');
        const cached = await resolveDatasetFiles(repoId, files, {
          signal: job.signal,
          onProgress: (done, total, file) => job.progress({ done, total, unit: 'bytes', phase: `downloading ${file}` }),
        });
        // Copies, not links: a dataset entry's files lie inside the workspace, like every entry's.
        const staging = makeTempSiblingDir(target);
        try {
          cached.forEach((file, i) => copyFileSync(file, path.join(staging, `${String(i).padStart(3, '0')}-${path.basename(file)}`)));
          newEntry(workspace, method, 'datasets', 'dataset', p.name);
          renameSync(staging, target);
        } catch (err) {
          rmSync(staging, { recursive: true, force: true });
          throw err;
        }
        fsyncDir(path.dirname(target));
        return { wrote: [`dataset:${p.name}`], summary: { files: files.length, bytes: sizeOnDisk(target) } };
      },
    });
    return { jobId: job.id };
  },

  'datasets.preview': async (params, { workspace }) => {
    const method = 'datasets.preview';
    const p = readParams<DatasetPreviewParams>(method, params, {
      dataset: { type: 'string', ...DATASET_ID },
      documents: { type: 'integer', optional: true, min: 0, max: 50 },
    });
    const spec = corpusSpec(workspace, method, p.dataset);
    const { sotuDataDir } = await import('../../data/corpora/sotu.js');
    const sizeBytes = sizeOnDisk(spec === EMBEDDED_CORPUS ? sotuDataDir() : spec);
    try {
      return { dataset: p.dataset, ...(await preview(spec, p.documents ?? 5, sizeBytes)) };
    } catch (err) {
      throw new ApiError('bad_request', `${method}: dataset "${p.dataset}" cannot be read as a corpus: ${(err as Error).message}`);
    }
  },
};
