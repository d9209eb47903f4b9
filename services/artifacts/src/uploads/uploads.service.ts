import { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import { invalidPath, resolveArtifactPath } from '@logbook/artifact-paths';
import { CommandMetadata, invalidParameter, MlflowError, notFound } from '@logbook/platform';
import { ObjectTooLargeError } from '@logbook/transfers';
import { checkWritable } from '../artifact.decider';
import { ArtifactRecords } from '../artifact-records';
import { ArtifactsConfig } from '../config';
import { servedContentType } from '../content-type';
import { Owners } from '../owners/owners';
import { ARTIFACT_STORAGE, ARTIFACTS_CONFIG } from '../shared/tokens';
import { ArtifactStorage, bareEtag } from '../storage/artifact-storage';

/** A store's "too large" in MLflow's words; any other failure unchanged. */
export function uploadLimitExceeded(error: unknown, maxBytes: number): unknown {
  if (error instanceof ObjectTooLargeError) {
    return invalidParameter(`Artifact exceeds the upload limit of ${maxBytes} bytes`);
  }
  return error;
}

/**
 * Whole artifacts written and deleted. Bytes stream between the client and the store (or the gateway
 * carries them, TRANSFER_OFFLOAD), and only facts about them are recorded, after the store has them.
 */
@Injectable()
export class UploadsService {
  constructor(
    @Inject(ARTIFACT_STORAGE) private readonly storage: ArtifactStorage,
    @Inject(ARTIFACTS_CONFIG) private readonly config: ArtifactsConfig,
    private readonly owners: Owners,
    private readonly records: ArtifactRecords,
  ) {}

  /** `size`: the Content-Length the client declared, if any. */
  async upload(
    rawPath: string,
    body: Readable,
    { contentType, size }: { contentType?: string; size?: number },
    metadata: CommandMetadata,
  ): Promise<void> {
    const path = this.checkedPath(rawPath, size);
    const maxBytes = this.config.maxUploadBytes;
    const owner = checkWritable(await this.owners.ownerOf(path), path);
    const stored = await this.storage
      .put(path, body, { contentType: servedContentType(path), maxBytes, size })
      .catch((error) => {
        throw uploadLimitExceeded(error, maxBytes);
      });
    const facts = { size: stored.size, sha256: stored.sha256, contentType: contentType ?? null };
    await this.records.recordStored(owner, path, facts, metadata, await this.records.modelIn(path));
  }

  /**
   * The first half of an upload the gateway carries (TRANSFER_OFFLOAD): the checks `upload` makes before
   * storing, then where to store. Undefined when this store cannot presign: the body must come here.
   */
  async prepareOffloaded(rawPath: string, size: number): Promise<{ url: string; contentType: string } | undefined> {
    if (!this.config.transferOffload || !this.storage.presignPut || !this.storage.locate) return undefined;
    const path = this.checkedPath(rawPath, size);
    checkWritable(await this.owners.ownerOf(path), path);
    return { url: await this.storage.presignPut(path), contentType: servedContentType(path) };
  }

  /** The second half: the gateway stored `size` bytes hashing to `sha256`, and the store called them `etag`. */
  async commitOffloaded(
    rawPath: string,
    stored: { size: number; sha256: string; etag: string },
    contentType: string | undefined,
    metadata: CommandMetadata,
  ): Promise<void> {
    const path = this.checkedPath(rawPath, stored.size);
    const owner = checkWritable(await this.owners.ownerOf(path), path);
    const located = await this.storage.locate?.(path);
    if (!located || located.size !== stored.size || bareEtag(located.etag) !== bareEtag(stored.etag)) {
      throw new MlflowError('TEMPORARILY_UNAVAILABLE', `'${path}' changed while it was uploaded; upload it again`);
    }
    if (!/^[0-9a-f]{64}$/.test(stored.sha256)) throw invalidParameter('Invalid sha256 for a stored upload');
    const facts = { size: stored.size, sha256: stored.sha256, contentType: contentType ?? null };
    await this.records.recordStored(owner, path, facts, metadata, await this.records.modelIn(path));
  }

  /** A file, or everything under a directory, of a known run or logged model (deleted ones included). */
  async delete(rawPath: string, metadata: CommandMetadata): Promise<void> {
    const path = resolveArtifactPath(rawPath);
    const owner = await this.owners.ownerOf(path);
    if (!owner) throw notFound(`No run or logged model owns the artifact path '${path}'`);
    const recorded = await this.records.recordedPaths(path);
    await this.storage.delete(path);
    if (recorded.length > 0) await this.records.recordDeleted(owner.root, recorded, metadata);
  }

  private checkedPath(rawPath: string, size: number | undefined): string {
    if (rawPath.endsWith('/')) throw invalidPath();
    const path = resolveArtifactPath(rawPath);
    const maxBytes = this.config.maxUploadBytes;
    if (size !== undefined && size > maxBytes) throw uploadLimitExceeded(new ObjectTooLargeError(maxBytes), maxBytes);
    return path;
  }
}
