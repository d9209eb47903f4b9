import { randomUUID } from 'node:crypto';
import { constants, createReadStream, Stats } from 'node:fs';
import {
  FileHandle,
  lstat,
  mkdir,
  open,
  readdir,
  readFile,
  realpath,
  rename,
  rm,
  rmdir,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { invalidParameter, MlflowError, notFound } from '@logbook/platform';
import { invalidPath, resolveArtifactPath, resolveListPrefix } from '@logbook/artifact-paths';
import { ObjectMeter, STREAM_HIGH_WATER_MARK } from '@logbook/transfers';
import {
  ArtifactStorage,
  bareEtag,
  byName,
  checkPartCount,
  checkPartList,
  checkPartNumber,
  checkRange,
  CompletedPart,
  ListEntry,
  MultipartUpload,
  ObjectRange,
  PutOptions,
  ReadObject,
  resolveRange,
  StoredObject,
} from './artifact-storage';

// Bytes in flight live inside the root, so a rename publishes them atomically and nothing spills to /tmp.
const INCOMING = '.incoming';
const MULTIPART = '.multipart';
const INTERNAL = new Set([INCOMING, MULTIPART]);
const UPLOAD_META = 'upload.json';
const UPLOAD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const PART_FILE = /^(\d+)\.([0-9a-f]{32})$/;
const COMMIT_ATTEMPTS = 3;

interface UploadMeta {
  key: string;
  parts: number;
  contentType?: string;
}

const outsideRoot = () => invalidParameter('Invalid path: resolved path is outside the artifact directory');
const noSuchUpload = (uploadId: string) =>
  notFound(`Multipart upload '${String(uploadId).slice(0, 64)}' does not exist`);

/**
 * Artifacts in a folder: the embedded default. Paths map 1:1 to files below the root; directories are
 * implicit (created on write, pruned when emptied). Symlinks are never followed, so one planted in the
 * root cannot redirect a read, write or delete outside it.
 */
export class LocalArtifactStorage implements ArtifactStorage {
  readonly kind = 'local';
  readonly presignsMultipart = false;

  private constructor(private readonly root: string) {}

  static async open(root: string): Promise<LocalArtifactStorage> {
    await mkdir(root, { recursive: true });
    const realRoot = await realpath(root);
    await mkdir(join(realRoot, INCOMING), { recursive: true });
    await mkdir(join(realRoot, MULTIPART), { recursive: true });
    return new LocalArtifactStorage(realRoot);
  }

  async put(key: string, body: Readable, options: PutOptions): Promise<StoredObject> {
    const segments = await this.writableSegments(key).catch((error: unknown) => {
      body.destroy();
      throw error;
    });
    const temp = this.incomingPath();
    const meter = new ObjectMeter({ maxBytes: options.maxBytes, declaredBytes: options.size });
    try {
      await writeDurably(temp, body, meter);
      await this.publish(temp, segments);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    return { size: meter.bytes, sha256: meter.digest() };
  }

  async get(key: string, range?: ObjectRange): Promise<ReadObject | undefined> {
    const segments = this.fileSegments(key);
    if (range) checkRange(range);
    const stats = await this.inspect(segments);
    if (!stats?.isFile()) return undefined;
    let handle: FileHandle;
    try {
      handle = await open(this.pathOf(segments), constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return undefined;
      if (errorCode(error) === 'ELOOP') throw outsideRoot();
      throw error;
    }
    try {
      // The size of the file actually opened: a concurrent put renames a new one in, never rewrites this one.
      const { size } = await handle.stat();
      const span = resolveRange(size, range);
      if (span.contentLength === 0) {
        await handle.close();
        return { body: Readable.from([], { objectMode: false }), size, ...span };
      }
      const body = handle.createReadStream({ start: span.start, end: span.end, highWaterMark: STREAM_HIGH_WATER_MARK });
      return { body, size, ...span };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async exists(key: string): Promise<'file' | 'dir' | undefined> {
    const stats = await this.inspect(this.prefixSegments(key));
    if (stats?.isFile()) return 'file';
    return stats?.isDirectory() ? 'dir' : undefined;
  }

  async list(prefix: string): Promise<ListEntry[]> {
    const segments = this.prefixSegments(prefix);
    const stats = await this.inspect(segments);
    if (!stats?.isDirectory()) return [];
    const dir = this.pathOf(segments);
    const entries = await readdir(dir, { withFileTypes: true }).catch((error: unknown) => {
      if (isMissing(error)) return [];
      throw error;
    });
    const listed = await Promise.all(
      entries
        .filter((entry) => !(segments.length === 0 && INTERNAL.has(entry.name)))
        .map(async (entry): Promise<ListEntry | undefined> => {
          if (entry.isDirectory()) return { name: entry.name, isDir: true };
          if (!entry.isFile()) return undefined;
          const file = await lstatOrUndefined(join(dir, entry.name));
          return file?.isFile() ? { name: entry.name, isDir: false, size: file.size } : undefined;
        }),
    );
    return listed.filter((entry): entry is ListEntry => entry !== undefined).sort(byName);
  }

  async delete(key: string): Promise<number> {
    const segments = this.fileSegments(key);
    const stats = await this.inspect(segments);
    if (!stats) return 0;
    const target = this.pathOf(segments);
    let removed = 1;
    if (stats.isDirectory()) {
      // Moved aside first, so the whole directory disappears at once rather than file by file.
      const doomed = this.incomingPath();
      await rename(target, doomed);
      removed = await countFiles(doomed);
      await rm(doomed, { recursive: true, force: true });
    } else {
      try {
        await unlink(target);
      } catch (error) {
        if (isMissing(error)) return 0;
        throw error;
      }
    }
    await this.pruneEmptyParents(segments);
    return removed;
  }

  async createMultipart(key: string, parts: number, contentType?: string): Promise<MultipartUpload> {
    checkPartCount(parts);
    await this.writableSegments(key);
    const uploadId = randomUUID();
    const dir = join(this.root, MULTIPART, uploadId);
    await mkdir(dir);
    const meta: UploadMeta = { key, parts, contentType };
    await writeFile(join(dir, UPLOAD_META), JSON.stringify(meta));
    return { uploadId };
  }

  async uploadPart(
    key: string,
    uploadId: string,
    partNumber: number,
    body: Readable,
    maxBytes: number,
  ): Promise<{ etag: string }> {
    const { dir } = await this.openPart(key, uploadId, partNumber).catch((error: unknown) => {
      body.destroy();
      throw error;
    });
    const temp = join(dir, `${randomUUID()}.incoming`);
    const meter = new ObjectMeter({ maxBytes, algorithm: 'md5' });
    try {
      await writeDurably(temp, body, meter);
      const md5 = meter.digest();
      // Named by content: a re-sent part lands beside the old one and completion picks the listed ETag.
      await rename(temp, join(dir, `${partNumber}.${md5}`));
      return { etag: `"${md5}"` };
    } catch (error) {
      await rm(temp, { force: true });
      if (isMissing(error)) throw noSuchUpload(uploadId);
      throw error;
    }
  }

  async completeMultipart(key: string, uploadId: string, parts: CompletedPart[]): Promise<{ size: number }> {
    const segments = this.fileSegments(key);
    checkPartList(parts);
    const { dir, meta } = await this.openUpload(key, uploadId);
    const uploaded = await uploadedParts(dir);
    for (const part of parts) {
      if (!uploaded.get(part.partNumber)?.has(bareEtag(part.etag))) {
        throw invalidParameter(`Part ${part.partNumber} with ETag ${part.etag} was not uploaded`);
      }
    }
    const expected = Math.max(meta.parts, ...uploaded.keys());
    if (parts.length < expected) {
      throw invalidParameter(`Part ${parts.length + 1} of ${expected} is missing from the completed upload`);
    }
    await this.writableSegments(key);
    const files = parts.map((part) => join(dir, `${part.partNumber}.${bareEtag(part.etag)}`));
    const temp = this.incomingPath();
    const meter = new ObjectMeter({ maxBytes: Number.POSITIVE_INFINITY });
    try {
      await writeDurably(temp, Readable.from(concatenate(files), { objectMode: false }), meter);
      await this.publish(temp, segments);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    await rm(dir, { recursive: true, force: true });
    return { size: meter.bytes };
  }

  async abortMultipart(key: string, uploadId: string): Promise<void> {
    this.fileSegments(key);
    try {
      const { dir } = await this.openUpload(key, uploadId);
      await rm(dir, { recursive: true, force: true });
    } catch (error) {
      if (error instanceof MlflowError && error.errorCode === 'RESOURCE_DOES_NOT_EXIST') return;
      throw error;
    }
  }

  /** Keys come from resolveArtifactPath; checking again keeps a caller's slip from reaching the disk. */
  private fileSegments(key: string): string[] {
    if (resolveArtifactPath(key) !== key) throw invalidPath();
    const segments = key.split('/');
    if (INTERNAL.has(segments[0])) throw invalidPath();
    return segments;
  }

  private prefixSegments(prefix: string): string[] {
    if (resolveListPrefix(prefix) !== prefix) throw invalidPath();
    return prefix === '' ? [] : this.fileSegments(prefix);
  }

  private pathOf(segments: string[]): string {
    return join(this.root, ...segments);
  }

  private incomingPath(): string {
    return join(this.root, INCOMING, randomUUID());
  }

  /** lstat of the entry (the root for no segments); refuses a symlink at any level below the root. */
  private async inspect(segments: string[]): Promise<Stats | undefined> {
    let current = this.root;
    let stats = await lstat(current);
    for (const segment of segments) {
      current = join(current, segment);
      const next = await lstatOrUndefined(current);
      if (!next) return undefined;
      if (next.isSymbolicLink()) throw outsideRoot();
      stats = next;
    }
    return stats;
  }

  /** Fails before any byte is read when the key cannot become a file: a symlink, a file as parent, a directory. */
  private async writableSegments(key: string): Promise<string[]> {
    const segments = this.fileSegments(key);
    let current = this.root;
    for (const [index, segment] of segments.entries()) {
      current = join(current, segment);
      const stats = await lstatOrUndefined(current);
      if (!stats) break;
      if (stats.isSymbolicLink()) throw outsideRoot();
      const last = index === segments.length - 1;
      if (!last && !stats.isDirectory()) throw occupied(key, `'${segments.slice(0, index + 1).join('/')}' is a file`);
      if (last && !stats.isFile()) throw occupied(key, 'it is a directory');
    }
    return segments;
  }

  /** Renames the finished temp file into place, creating (and re-checking) the parent directories. */
  private async publish(temp: string, segments: string[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      await this.makeParents(segments);
      try {
        await rename(temp, this.pathOf(segments));
        return;
      } catch (error) {
        // A concurrent delete can prune a parent between mkdir and rename.
        if (errorCode(error) === 'ENOENT' && attempt < COMMIT_ATTEMPTS) continue;
        if (['EISDIR', 'ENOTDIR', 'ENOTEMPTY', 'EEXIST'].includes(errorCode(error) ?? '')) {
          throw occupied(segments.join('/'), 'another entry is in the way');
        }
        throw error;
      }
    }
  }

  private async makeParents(segments: string[]): Promise<void> {
    let current = this.root;
    for (const [index, segment] of segments.slice(0, -1).entries()) {
      current = join(current, segment);
      await mkdir(current).catch((error: unknown) => {
        if (errorCode(error) !== 'EEXIST') throw error;
      });
      const stats = await lstat(current);
      if (stats.isSymbolicLink()) throw outsideRoot();
      if (!stats.isDirectory()) {
        throw occupied(segments.join('/'), `'${segments.slice(0, index + 1).join('/')}' is a file`);
      }
    }
  }

  private async pruneEmptyParents(segments: string[]): Promise<void> {
    for (let depth = segments.length - 1; depth > 0; depth--) {
      try {
        await rmdir(this.pathOf(segments.slice(0, depth)));
      } catch {
        return;
      }
    }
  }

  private async openUpload(key: string, uploadId: string): Promise<{ dir: string; meta: UploadMeta }> {
    if (typeof uploadId !== 'string' || !UPLOAD_ID.test(uploadId)) throw noSuchUpload(uploadId);
    const dir = join(this.root, MULTIPART, uploadId);
    let meta: UploadMeta;
    try {
      meta = JSON.parse(await readFile(join(dir, UPLOAD_META), 'utf8')) as UploadMeta;
    } catch (error) {
      if (isMissing(error)) throw noSuchUpload(uploadId);
      throw error;
    }
    if (meta.key !== key) throw invalidParameter(`Multipart upload '${uploadId}' belongs to another path`);
    return { dir, meta };
  }

  private async openPart(key: string, uploadId: string, partNumber: number): Promise<{ dir: string }> {
    this.fileSegments(key);
    checkPartNumber(partNumber);
    const { dir, meta } = await this.openUpload(key, uploadId);
    if (partNumber > meta.parts) {
      throw invalidParameter(`Part ${partNumber} is beyond the ${meta.parts} parts the upload was created with`);
    }
    return { dir };
  }
}

/** Writes through the meter into a new file, fsynced before close: an acknowledged write survives a crash. */
async function writeDurably(path: string, source: Readable, meter: ObjectMeter): Promise<void> {
  const handle = await open(
    path,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o644,
  );
  // The stream owns the handle from here and closes it on success and on failure.
  const sink = handle.createWriteStream({ highWaterMark: STREAM_HIGH_WATER_MARK, flush: true });
  await pipeline(source, meter, sink);
}

async function* concatenate(files: string[]): AsyncGenerator<Buffer> {
  for (const file of files) {
    yield* createReadStream(file, { highWaterMark: STREAM_HIGH_WATER_MARK });
  }
}

async function uploadedParts(dir: string): Promise<Map<number, Set<string>>> {
  const parts = new Map<number, Set<string>>();
  for (const name of await readdir(dir)) {
    const match = PART_FILE.exec(name);
    if (!match) continue;
    const partNumber = Number(match[1]);
    parts.set(partNumber, (parts.get(partNumber) ?? new Set()).add(match[2]));
  }
  return parts;
}

async function countFiles(dir: string): Promise<number> {
  let count = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    count += entry.isDirectory() ? await countFiles(join(dir, entry.name)) : 1;
  }
  return count;
}

async function lstatOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

function occupied(key: string, reason: string): MlflowError {
  return invalidParameter(`Cannot store '${key}': ${reason}`);
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

function isMissing(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'ENOENT' || code === 'ENOTDIR';
}
