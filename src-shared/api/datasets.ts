// Datasets domain of the API contract: bringing a corpus into the workspace's datasets/ and looking
// into one before training on it.

export interface DatasetAddParams {
  /** Upload id (UploadReceipt.upload) holding one .txt/.jsonl/.parquet file, or a folder of them. */
  upload: string;
  /** Name under datasets/; default the uploaded file's or folder's own name. A file keeps its extension. */
  name?: string;
}

export interface DatasetPullParams {
  /** Hugging Face dataset files: "owner/name/path/to/file.parquet[,other.parquet]". */
  hub: string;
  /** Name under datasets/ (a folder linking the cached files): letters, digits, ".", "_" and "-". */
  name: string;
}

export interface DatasetPreviewParams {
  /** DatasetEntry id. */
  dataset: string;
  /** Documents to show; default 5. */
  documents?: number;
}

export interface DatasetPreview {
  dataset: string;
  /** The first documents, each cut to `PREVIEW_CHARS` characters (`chars` is the full length). */
  documents: Array<{ text: string; chars: number }>;
  /** Documents and UTF-8 bytes read to estimate the token count, and their GPT-2 tokens. */
  sample: { documents: number; bytes: number; tokens: number };
  /** Whether the whole dataset was read (then `tokens` is exact), else an estimate. */
  complete: boolean;
  /** GPT-2 tokens of the dataset: exact when `complete`, else sample tokens per byte × the files' bytes (for .parquet, compressed bytes, so a lower bound). */
  tokens: number;
  /** Bytes of the dataset's files on disk. */
  sizeBytes: number;
}
