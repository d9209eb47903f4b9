import type { Readable } from 'node:stream';
import { invalidParameter } from '@logbook/platform';

/** S3's limit, applied to every backend so a client behaves the same against both. */
export const MAX_PARTS = 10_000;

export interface StoredObject {
  size: number;
  sha256: string;
}

export interface PutOptions {
  contentType?: string;
  maxBytes: number;
  /** The body's length, when the sender declared it (Content-Length); a body of any other length fails. */
  size?: number;
}

/** Inclusive end, like HTTP Range; an end past the last byte means "to the end". */
export interface ObjectRange {
  start: number;
  end?: number;
}

export interface ReadObject {
  body: Readable;
  size: number;
  start: number;
  end: number;
  contentLength: number;
}

/** Where a proxy in front of the service can read an object itself: a presigned URL, valid for this ETag. */
export interface LocatedObject {
  url: string;
  etag: string;
  size: number;
}

/** An immediate child of a listed directory; `name` is the basename. */
export interface ListEntry {
  name: string;
  isDir: boolean;
  size?: number;
}

/** `partUrls[i]` is the presigned PUT URL of part i + 1, when the backend can presign. */
export interface MultipartUpload {
  uploadId: string;
  partUrls?: string[];
}

export interface CompletedPart {
  partNumber: number;
  etag: string;
}

/** The range starts past the end of the object; HTTP answers 416 with `Content-Range: bytes *\/size`. */
export class RangeNotSatisfiableError extends Error {
  constructor(readonly size: number) {
    super(`The range starts past the end of the object (${size} bytes)`);
    this.name = 'RangeNotSatisfiableError';
  }
}

/**
 * Where artifact bytes live. Keys are artifact paths already passed through `resolveArtifactPath`;
 * directories are implicit (a directory exists while something is stored under it).
 */
export interface ArtifactStorage {
  readonly kind: 's3' | 'local';
  readonly presignsMultipart: boolean;
  /** Streams the body in; the object becomes visible only once complete, replacing any previous version. */
  put(key: string, body: Readable, options: PutOptions): Promise<StoredObject>;
  get(key: string, range?: ObjectRange): Promise<ReadObject | undefined>;
  /** Stores that can presign reads; undefined for a folder or a missing key. */
  locate?(key: string): Promise<LocatedObject | undefined>;
  /** Stores that can presign a whole-object PUT. */
  presignPut?(key: string): Promise<string>;
  exists(key: string): Promise<'file' | 'dir' | undefined>;
  list(prefix: string): Promise<ListEntry[]>;
  /** A file, or everything under a directory; returns how many objects were removed. */
  delete(key: string): Promise<number>;
  createMultipart(key: string, parts: number, contentType?: string): Promise<MultipartUpload>;
  uploadPart(
    key: string,
    uploadId: string,
    partNumber: number,
    body: Readable,
    maxBytes: number,
  ): Promise<{ etag: string }>;
  completeMultipart(key: string, uploadId: string, parts: CompletedPart[]): Promise<{ size: number }>;
  abortMultipart(key: string, uploadId: string): Promise<void>;
}

export function checkRange(range: ObjectRange): void {
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || start < 0 || (end !== undefined && (!Number.isSafeInteger(end) || end < start))) {
    throw invalidParameter(`Invalid range: bytes=${start}-${end ?? ''}`);
  }
}

/** The bytes a read covers: the whole object, or the range clamped to the object's end. */
export function resolveRange(size: number, range?: ObjectRange): { start: number; end: number; contentLength: number } {
  if (!range) return { start: 0, end: size - 1, contentLength: size };
  checkRange(range);
  if (range.start >= size) throw new RangeNotSatisfiableError(size);
  const end = Math.min(range.end ?? size - 1, size - 1);
  return { start: range.start, end, contentLength: end - range.start + 1 };
}

export function checkPartCount(parts: number): void {
  if (!Number.isSafeInteger(parts) || parts < 1 || parts > MAX_PARTS) {
    throw invalidParameter(`The number of parts must be between 1 and ${MAX_PARTS}, got ${parts}`);
  }
}

export function checkPartNumber(partNumber: number): void {
  if (!Number.isSafeInteger(partNumber) || partNumber < 1 || partNumber > MAX_PARTS) {
    throw invalidParameter(`Part numbers run from 1 to ${MAX_PARTS}, got ${partNumber}`);
  }
}

/** A completion must list parts 1..n, each once, in ascending order: anything else is a client bug. */
export function checkPartList(parts: ReadonlyArray<CompletedPart>): void {
  if (parts.length === 0) throw invalidParameter('A multipart upload cannot be completed without parts');
  parts.forEach((part) => {
    checkPartNumber(part.partNumber);
    if (typeof part.etag !== 'string' || part.etag === '') {
      throw invalidParameter(`Part ${part.partNumber} has no ETag`);
    }
  });
  const numbers = parts.map((part) => part.partNumber);
  const sorted = [...numbers].sort((a, b) => a - b);
  sorted.forEach((partNumber, index) => {
    if (partNumber === sorted[index - 1]) throw invalidParameter(`Part ${partNumber} is listed more than once`);
    if (partNumber !== index + 1) throw invalidParameter(`Part ${index + 1} is missing from the completed upload`);
  });
  if (numbers.some((partNumber, index) => partNumber !== sorted[index])) {
    throw invalidParameter(`Parts must be listed in ascending order, got ${numbers.join(', ')}`);
  }
}

/** S3 quotes ETags and clients echo them back with or without the quotes. */
export function bareEtag(etag: string): string {
  return etag.replace(/^(W\/)?"|"$/g, '');
}

/** Listings in code-unit order, the same on every backend. */
export function byName(a: ListEntry, b: ListEntry): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
