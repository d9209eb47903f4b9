import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { CommandMetadata, Database, invalidParameter, MlflowError, notFound } from '@logbook/platform';
import { EventStore } from '@logbook/eventstore';
import { servedContentType } from './content-type';
import { discrepancies, listTree } from './reconciliation';
import { MLMODEL_MAX_BYTES, ModelSummary, summarizeMlModel } from './mlmodel';
import { artifactStream, artifactStreamId, checkWritable, OwnerFact } from './artifact.decider';
import { isStoreRoot, invalidPath, resolveArtifactPath, resolveListPrefix } from '@logbook/artifact-paths';
import {
  ArtifactStorage,
  bareEtag,
  ListEntry,
  LocatedObject,
  ObjectRange,
  ObjectTooLargeError,
  RangeNotSatisfiableError,
  ReadObject,
  resolveRange,
} from './storage/artifact-storage';

/** S3's cap on the parts of one multipart upload. */
export const MAX_MULTIPART_PARTS = 10_000;

/** What a download answers with: the bytes, or where the gateway can read them (see TRANSFER_OFFLOAD). */
export type Download = Omit<ReadObject, 'body'> & { path: string; partial: boolean } & (
    { body: ReadObject['body'] } | { located: LocatedObject }
  );

export interface ArtifactsSettings {
  maxUploadBytes: number;
  /** How long a write waits for tracking's events to announce a run that was just created. */
  ownerWaitMs: number;
  /** Whether a gateway that asks may move S3 downloads and uploads itself (TRANSFER_OFFLOAD). */
  transferOffload: boolean;
}

interface OwnerRow {
  root: string;
  kind: 'run' | 'logged-model';
  owner_id: string;
  lifecycle_stage: string;
  experiment_lifecycle_stage: string;
}

// Tracking's ids: a run's is 32 hex digits, a logged model's `m-` and 32 hex digits.
const OWNER_ID = /^(?:m-)?[0-9a-f]{32}$/;

/** The ids of the runs and logged models a path could belong to: every root ends in `<id>/artifacts`. */
function ownerIdsIn(path: string): string[] {
  const segments = path.split('/');
  return segments.filter((segment, i) => segments[i + 1] === 'artifacts' && OWNER_ID.test(segment));
}

/** Every prefix of a path, longest first: the candidates for the root it belongs to. */
function rootCandidates(path: string): string[] {
  const segments = path.split('/');
  return segments.map((_, i) => segments.slice(0, segments.length - i).join('/'));
}

/**
 * The artifact proxy: bytes stream between the client and the store, and only facts about them
 * (path, size, sha256) are recorded as events, after the store has them.
 */
export class ArtifactsService {
  constructor(
    private readonly store: EventStore,
    private readonly db: Database,
    private readonly storage: ArtifactStorage,
    private readonly settings: ArtifactsSettings,
  ) {}

  /**
   * MLflow's capability document. Clients read `multipart_uploads_enabled` to decide, without
   * MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD, whether large files go up in presigned parts; like MLflow,
   * only a store that presigns them says so. Presigned multipart downloads are not offered.
   */
  serverInfo() {
    return {
      store_type: 'SqlStore',
      workspaces_enabled: false,
      trace_archival_enabled: false,
      multipart_uploads_enabled: this.storage.presignsMultipart,
      multipart_downloads_enabled: false,
      presigned_upload_run_id_supported: false,
      presigned_upload_model_id_supported: false,
      features_enabled: { gateway: false },
    };
  }

  /** `size`: the Content-Length the client declared, if any. */
  async upload(
    rawPath: string,
    body: Readable,
    { contentType, size }: { contentType?: string; size?: number },
    metadata: CommandMetadata,
  ) {
    const path = this.checkedUploadPath(rawPath, size);
    const maxBytes = this.settings.maxUploadBytes;
    const owner = checkWritable(await this.ownerOf(path), path);
    const stored = await this.storage
      .put(path, body, { contentType: servedContentType(path), maxBytes, size })
      .catch((error) => {
        throw translateStorageError(error, maxBytes);
      });
    const model = posix.basename(path) === 'MLmodel' ? await this.describeModel(path) : undefined;
    await this.record(owner, path, stored.size, stored.sha256, contentType ?? null, metadata, model);
  }

  /**
   * The first half of an upload the gateway carries (TRANSFER_OFFLOAD): the checks `upload` makes before
   * storing, then where to store. Undefined when this store cannot presign: the body must come here.
   */
  async prepareOffloadedUpload(
    rawPath: string,
    size: number,
  ): Promise<{ url: string; contentType: string } | undefined> {
    if (!this.settings.transferOffload || !this.storage.presignPut || !this.storage.locate) return undefined;
    const path = this.checkedUploadPath(rawPath, size);
    checkWritable(await this.ownerOf(path), path);
    return { url: await this.storage.presignPut(path), contentType: servedContentType(path) };
  }

  /** The second half: the gateway stored `size` bytes hashing to `sha256`, and the store called them `etag`. */
  async commitOffloadedUpload(
    rawPath: string,
    stored: { size: number; sha256: string; etag: string },
    contentType: string | undefined,
    metadata: CommandMetadata,
  ) {
    const path = this.checkedUploadPath(rawPath, stored.size);
    const owner = checkWritable(await this.ownerOf(path), path);
    const located = await this.storage.locate?.(path);
    if (!located || located.size !== stored.size || bareEtag(located.etag) !== bareEtag(stored.etag)) {
      throw new MlflowError('TEMPORARILY_UNAVAILABLE', `'${path}' changed while it was uploaded; upload it again`);
    }
    if (!/^[0-9a-f]{64}$/.test(stored.sha256)) throw invalidParameter('Invalid sha256 for a stored upload');
    const model = posix.basename(path) === 'MLmodel' ? await this.describeModel(path) : undefined;
    await this.record(owner, path, stored.size, stored.sha256, contentType ?? null, metadata, model);
  }

  private checkedUploadPath(rawPath: string, size: number | undefined): string {
    if (rawPath.endsWith('/')) throw invalidPath();
    const path = resolveArtifactPath(rawPath);
    const maxBytes = this.settings.maxUploadBytes;
    if (size !== undefined && size > maxBytes) throw translateStorageError(new ObjectTooLargeError(maxBytes), maxBytes);
    return path;
  }

  /** Reads a just-stored MLmodel file back (it is small) to summarise it; undefined when it is not a model. */
  private async describeModel(path: string): Promise<ModelSummary | undefined> {
    const object = await this.storage.get(path);
    if (!object) return undefined;
    if (object.size > MLMODEL_MAX_BYTES) {
      object.body.destroy();
      return undefined;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of object.body) chunks.push(chunk as Buffer);
    return summarizeMlModel(Buffer.concat(chunks).toString('utf8'));
  }

  /**
   * Streams an artifact, or the requested byte range of it (`suffix`: the last n bytes). With
   * `offloadAccepted` (the gateway asked) and a store that presigns reads, it only locates the object.
   */
  async download(
    rawPath: string,
    range: ObjectRange | { suffix: number } | undefined,
    { offloadAccepted = false } = {},
  ): Promise<Download> {
    const path = resolveArtifactPath(rawPath);
    const missing = () => notFound(`No such artifact: '${path}'`);
    const fromSize = (size: number) =>
      range && 'suffix' in range ? { start: Math.max(0, size - range.suffix) } : range;
    if (offloadAccepted && this.settings.transferOffload && this.storage.locate) {
      const located = await this.storage.locate(path);
      if (!located) throw missing();
      const bytes = fromSize(located.size);
      const span = resolveRange(located.size, bytes);
      return { located, size: located.size, ...span, path, partial: bytes !== undefined };
    }
    let bytes = range;
    if (bytes && 'suffix' in bytes) {
      const size = await this.sizeOf(path);
      if (size === undefined) throw missing();
      bytes = fromSize(size);
    }
    // Stores answer undefined for a folder or a missing key: one request before the first byte.
    const object = await this.storage.get(path, bytes);
    if (!object) throw missing();
    return { ...object, path, partial: bytes !== undefined };
  }

  private async sizeOf(path: string): Promise<number | undefined> {
    try {
      const probe = await this.storage.get(path, { start: 0, end: 0 });
      probe?.body.destroy();
      return probe?.size;
    } catch (error) {
      // An empty file has no first byte to read.
      if (error instanceof RangeNotSatisfiableError) return error.size;
      throw error;
    }
  }

  async list(rawPath: string | undefined): Promise<ListEntry[]> {
    const prefix = resolveListPrefix(rawPath);
    if ((await this.storage.exists(prefix)) !== 'dir' && prefix !== '') return [];
    return this.storage.list(prefix);
  }

  /** The tracking API's artifacts/list: run-relative paths under the run's artifact root. */
  async listForRun(runId: string, rawPath: string | undefined) {
    const lookup = async () => {
      const result = await this.db.query<{ root: string }>(
        `SELECT root FROM artifacts.owners WHERE owner_id = $1 AND kind = 'run'`,
        [runId],
      );
      return result.rows.length > 0 ? result.rows : undefined;
    };
    const rows = (await lookup()) ?? (OWNER_ID.test(runId) ? await this.untilAnnounced(lookup) : undefined);
    if (!rows) throw notFound(`Run with id=${runId} not found`);
    if (!isStoreRoot(rows[0].root)) {
      throw invalidParameter(
        `The artifact location of run ${runId} ('${rows[0].root}') leaves the artifact root; its artifacts cannot be served`,
      );
    }
    const relative = resolveListPrefix(rawPath);
    const prefix = relative ? `${rows[0].root}/${relative}` : rows[0].root;
    const entries = (await this.storage.exists(prefix)) === 'dir' ? await this.storage.list(prefix) : [];
    return {
      root_uri: `mlflow-artifacts:/${rows[0].root}`,
      files: entries.map((entry) => ({
        path: relative ? posix.join(relative, entry.name) : entry.name,
        is_dir: entry.isDir,
        ...(entry.size ? { file_size: entry.size } : {}),
      })),
    };
  }

  async delete(rawPath: string, metadata: CommandMetadata): Promise<void> {
    const path = resolveArtifactPath(rawPath);
    const owner = await this.ownerOf(path);
    if (!owner) throw notFound(`No run or logged model owns the artifact path '${path}'`);
    const { rows } = await this.db.query<{ path: string }>(
      `SELECT path FROM artifacts.objects WHERE path = $1 OR path LIKE $2`,
      [path, `${path.replace(/[\\%_]/g, '\\$&')}/%`],
    );
    await this.storage.delete(path);
    if (rows.length > 0) {
      await this.store.handle(
        artifactStream,
        artifactStreamId(owner.root),
        { type: 'RecordArtifactsDeleted', data: { root: owner.root, paths: rows.map((r) => r.path) }, metadata },
        metadata,
      );
    }
  }

  async createMultipart(rawPath: string, parts: number, partUrl: (partNumber: number, uploadId: string) => string) {
    const path = resolveArtifactPath(rawPath);
    checkWritable(await this.ownerOf(path), path);
    if (!Number.isInteger(parts) || parts < 1 || parts > MAX_MULTIPART_PARTS) {
      throw invalidParameter(`num_parts must be between 1 and ${MAX_MULTIPART_PARTS}, got ${parts}`);
    }
    const upload = await this.storage.createMultipart(path, parts, servedContentType(path));
    const urls = upload.partUrls ?? Array.from({ length: parts }, (_, i) => partUrl(i + 1, upload.uploadId));
    return {
      upload_id: upload.uploadId,
      credentials: urls.map((url, i) => ({ url, part_number: i + 1, headers: {} })),
    };
  }

  async uploadPart(rawPath: string, uploadId: string, partNumber: number, body: Readable) {
    const path = resolveArtifactPath(rawPath);
    return this.storage.uploadPart(path, uploadId, partNumber, body, this.settings.maxUploadBytes).catch((error) => {
      throw translateStorageError(error, this.settings.maxUploadBytes);
    });
  }

  /** Completes the upload, then reads the object back once to record its digest: the parts went straight to the store. */
  async completeMultipart(
    rawPath: string,
    uploadId: string,
    parts: Array<{ partNumber: number; etag: string }>,
    metadata: CommandMetadata,
  ): Promise<void> {
    const path = resolveArtifactPath(rawPath);
    const owner = checkWritable(await this.ownerOf(path), path);
    await this.storage.completeMultipart(path, uploadId, parts);
    const measured = await this.measure(path);
    if (!measured) throw new MlflowError('INTERNAL_ERROR', `Completed upload of '${path}' is not readable`);
    await this.record(owner, path, measured.size, measured.sha256, null, metadata);
  }

  /** Reads a stored object once, for its size and sha256. */
  private async measure(path: string): Promise<{ size: number; sha256: string } | undefined> {
    const object = await this.storage.get(path);
    if (!object) return undefined;
    const hash = createHash('sha256');
    for await (const chunk of object.body) hash.update(chunk as Buffer);
    return { size: object.size, sha256: hash.digest('hex') };
  }

  async abortMultipart(rawPath: string, uploadId: string): Promise<void> {
    await this.storage.abortMultipart(resolveArtifactPath(rawPath), uploadId);
  }

  private async record(
    owner: OwnerFact,
    path: string,
    size: number,
    sha256: string,
    contentType: string | null,
    metadata: CommandMetadata,
    model?: ModelSummary,
  ) {
    await this.store.handle(
      artifactStream,
      artifactStreamId(owner.root),
      {
        type: 'RecordArtifactStored',
        data: { owner, path, size, sha256, contentType, ...(model ? { model } : {}) },
        metadata,
      },
      metadata,
    );
  }

  /**
   * The run or logged model a path belongs to. When none is known yet, it waits for one only if the path
   * names an id tracking has not announced (its events may lag); otherwise the answer is already final.
   */
  private async ownerOf(path: string): Promise<OwnerFact | undefined> {
    const lookup = async () => {
      const { rows } = await this.db.query<OwnerRow>(
        `SELECT root, kind, owner_id, lifecycle_stage, experiment_lifecycle_stage FROM artifacts.owners
         WHERE root = ANY($1::text[]) ORDER BY length(root) DESC LIMIT 1`,
        [rootCandidates(path)],
      );
      return rows[0] && ownerFact(rows[0]);
    };
    const found = await lookup();
    if (found) return found;
    // Looked up again when the answer is final: the owner may have been announced between the two queries.
    return (await this.mayStillBeAnnounced(ownerIdsIn(path))) ? this.untilAnnounced(lookup) : lookup();
  }

  private async mayStillBeAnnounced(ownerIds: string[]): Promise<boolean> {
    if (ownerIds.length === 0) return false;
    const { rows } = await this.db.query<{ owner_id: string }>(
      `SELECT owner_id FROM artifacts.owners WHERE owner_id = ANY($1::text[])`,
      [ownerIds],
    );
    return rows.length < new Set(ownerIds).size;
  }

  /** Roots of every run and logged model that is not purged: what a reconciliation walks. */
  async ownedRoots(): Promise<string[]> {
    const { rows } = await this.db.query<{ root: string }>(
      `SELECT root FROM artifacts.owners WHERE lifecycle_stage <> 'purged' ORDER BY root`,
    );
    return rows.map((row) => row.root).filter(isStoreRoot);
  }

  /**
   * Makes the index agree with the store under one root. An object stored but never recorded (its
   * upload failed between storing and recording, and the client gave up) is read, hashed and recorded;
   * a recorded object the store no longer has is recorded as deleted. A deleted run's unrecorded
   * objects are only reported: nothing may be recorded into it, and its purge removes them.
   */
  async reconcile(root: string, metadata: CommandMetadata, { dryRun = false } = {}) {
    const { rows: owners } = await this.db.query<OwnerRow>(
      `SELECT root, kind, owner_id, lifecycle_stage, experiment_lifecycle_stage FROM artifacts.owners WHERE root = $1`,
      [root],
    );
    if (owners.length === 0) throw notFound(`No run or logged model has the artifact root '${root}'`);
    const owner = ownerFact(owners[0]);
    const { rows: recorded } = await this.db.query<{ path: string; size: string }>(
      `SELECT path, size FROM artifacts.objects WHERE root = $1`,
      [root],
    );
    const { unrecorded, vanished } = discrepancies(
      await listTree(this.storage, root),
      recorded.map((row) => ({ path: row.path, size: Number(row.size) })),
    );
    const report = { root, recorded: [] as string[], deleted: vanished, unrecordable: [] as string[] };
    if (!owner.active) report.unrecordable = unrecorded.map((object) => object.path);
    else report.recorded = unrecorded.map((object) => object.path);
    if (dryRun) return report;
    for (const path of report.recorded) {
      const measured = await this.measure(path);
      if (!measured) continue;
      const model = posix.basename(path) === 'MLmodel' ? await this.describeModel(path) : undefined;
      await this.record(owner, path, measured.size, measured.sha256, null, metadata, model);
    }
    if (vanished.length > 0) {
      await this.store.handle(
        artifactStream,
        artifactStreamId(root),
        { type: 'RecordArtifactsDeleted', data: { root, paths: vanished }, metadata },
        metadata,
      );
    }
    return report;
  }

  /**
   * Runs and logged models are announced by tracking's events, a moment after tracking answered the
   * client; a lookup that finds nothing waits that moment (bounded) before concluding.
   */
  private async untilAnnounced<T>(lookup: () => Promise<T | undefined>): Promise<T | undefined> {
    const deadline = Date.now() + this.settings.ownerWaitMs;
    for (;;) {
      const found = await lookup();
      if (found !== undefined || Date.now() >= deadline) return found;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

function ownerFact(row: OwnerRow): OwnerFact {
  return {
    root: row.root,
    kind: row.kind,
    ownerId: row.owner_id,
    active: row.lifecycle_stage === 'active' && row.experiment_lifecycle_stage === 'active',
  };
}

function translateStorageError(error: unknown, maxBytes: number): unknown {
  if (error instanceof ObjectTooLargeError) {
    return invalidParameter(`Artifact exceeds the upload limit of ${maxBytes} bytes`);
  }
  return error;
}
