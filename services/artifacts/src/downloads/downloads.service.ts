import { posix } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { isStoreRoot, resolveArtifactPath, resolveListPrefix } from '@logbook/artifact-paths';
import { invalidParameter, notFound } from '@logbook/platform';
import { ArtifactsConfig } from '../config';
import { Owners } from '../owners/owners';
import { ARTIFACT_STORAGE, ARTIFACTS_CONFIG } from '../shared/tokens';
import {
  ArtifactStorage,
  ListEntry,
  LocatedObject,
  ObjectRange,
  RangeNotSatisfiableError,
  ReadObject,
  resolveRange,
} from '../storage/artifact-storage';

/** `bytes=-n`: the last n bytes, whatever the object's size. */
export type SuffixRange = { suffix: number };

/** What a download answers with: the bytes, or where the gateway can read them (see TRANSFER_OFFLOAD). */
export type Download = Omit<ReadObject, 'body'> & { path: string; partial: boolean } & (
    { body: ReadObject['body'] } | { located: LocatedObject }
  );

/** A run or a logged model, whose artifacts MLflow also addresses relative to their root. */
export interface ArtifactOwner {
  kind: 'run' | 'logged-model';
  id: string;
}

/** A decoded path (from a query string) in the encoded form the artifact routes' paths take. */
export const encodedPath = (path: string) => path.split('/').map(encodeURIComponent).join('/');

/** Artifacts read and listed, straight from the store. */
@Injectable()
export class DownloadsService {
  constructor(
    @Inject(ARTIFACT_STORAGE) private readonly storage: ArtifactStorage,
    @Inject(ARTIFACTS_CONFIG) private readonly config: ArtifactsConfig,
    private readonly owners: Owners,
  ) {}

  /**
   * Streams an artifact, or the requested byte range of it. With `offloadAccepted` (the gateway asked)
   * and a store that presigns reads, it only locates the object.
   */
  async download(
    rawPath: string,
    range: ObjectRange | SuffixRange | undefined,
    { offloadAccepted = false } = {},
  ): Promise<Download> {
    const path = resolveArtifactPath(rawPath);
    const missing = () => notFound(`No such artifact: '${path}'`);
    const fromSize = (size: number) =>
      range && 'suffix' in range ? { start: Math.max(0, size - range.suffix) } : range;
    if (offloadAccepted && this.config.transferOffload && this.storage.locate) {
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

  /** The immediate children of a directory; none for a file or a missing path. */
  async list(rawPath: string | undefined): Promise<ListEntry[]> {
    const prefix = resolveListPrefix(rawPath);
    if ((await this.storage.exists(prefix)) !== 'dir' && prefix !== '') return [];
    return this.storage.list(prefix);
  }

  /**
   * The artifact root of a run or logged model, as MLflow's run- and model-relative routes resolve it
   * (its not-found message included); only roots inside the store can be served.
   */
  async ownerRoot(owner: ArtifactOwner): Promise<string> {
    const root = await this.owners.rootOf(owner.kind, owner.id);
    if (root === undefined) {
      throw notFound(
        owner.kind === 'run' ? `Run with id=${owner.id} not found` : `Logged model with ID '${owner.id}' not found.`,
      );
    }
    if (!isStoreRoot(root)) {
      throw invalidParameter(
        `The artifact location of ${owner.kind} ${owner.id} ('${root}') leaves the artifact root; its artifacts cannot be served`,
      );
    }
    return root;
  }

  /** One file of a run or logged model, by its path relative to the owner's root (MLflow's get-artifact). */
  async downloadFromOwner(owner: ArtifactOwner, relativePath: string): Promise<Download> {
    const root = await this.ownerRoot(owner);
    return this.download(`${root}/${encodedPath(relativePath)}`, undefined);
  }

  /** The tracking API's artifacts/list and the logged models' directories: paths relative to the owner's root. */
  async listForOwner(owner: ArtifactOwner, rawPath: string | undefined) {
    const root = await this.ownerRoot(owner);
    const relative = resolveListPrefix(rawPath);
    const prefix = relative ? `${root}/${relative}` : root;
    const entries = (await this.storage.exists(prefix)) === 'dir' ? await this.storage.list(prefix) : [];
    return {
      root_uri: `mlflow-artifacts:/${root}`,
      files: entries.map((entry) => ({
        path: relative ? posix.join(relative, entry.name) : entry.name,
        is_dir: entry.isDir,
        ...(entry.size ? { file_size: entry.size } : {}),
      })),
    };
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
}
