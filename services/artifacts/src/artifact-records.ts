import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { EventStore } from '@logbook/eventstore';
import { CommandMetadata, Database } from '@logbook/platform';
import { artifactStream, artifactStreamId, OwnerFact } from './artifact.decider';
import { MLMODEL_MAX_BYTES, ModelSummary, summarizeMlModel } from './mlmodel';
import { FoundObject } from './reconciliation/reconciliation';
import { ARTIFACT_STORAGE, DATABASE, EVENT_STORE } from './shared/tokens';
import { ArtifactStorage } from './storage/artifact-storage';

/** A stored object as recorded: its size, sha256 and how the client sent it. */
export interface StoredFacts {
  size: number;
  sha256: string;
  contentType: string | null;
}

/**
 * The index of stored artifacts: facts about objects the store already has, recorded as stored (path,
 * size, sha256, the model an MLmodel file describes) or deleted, and read back from the projection.
 */
@Injectable()
export class ArtifactRecords {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(ARTIFACT_STORAGE) private readonly storage: ArtifactStorage,
  ) {}

  async recordStored(
    owner: OwnerFact,
    path: string,
    facts: StoredFacts,
    metadata: CommandMetadata,
    model?: ModelSummary,
  ): Promise<void> {
    await this.store.handle(
      artifactStream,
      artifactStreamId(owner.root),
      { type: 'RecordArtifactStored', data: { owner, path, ...facts, ...(model ? { model } : {}) }, metadata },
      metadata,
    );
  }

  async recordDeleted(root: string, paths: string[], metadata: CommandMetadata): Promise<void> {
    await this.store.handle(
      artifactStream,
      artifactStreamId(root),
      { type: 'RecordArtifactsDeleted', data: { root, paths }, metadata },
      metadata,
    );
  }

  /** The recorded paths of a file, or of everything under a directory. */
  async recordedPaths(path: string): Promise<string[]> {
    const { rows } = await this.db.query<{ path: string }>(
      `SELECT path FROM artifacts.objects WHERE path = $1 OR path LIKE $2`,
      [path, `${path.replace(/[\\%_]/g, '\\$&')}/%`],
    );
    return rows.map((row) => row.path);
  }

  async recordedUnder(root: string): Promise<FoundObject[]> {
    const { rows } = await this.db.query<{ path: string; size: string }>(
      `SELECT path, size FROM artifacts.objects WHERE root = $1`,
      [root],
    );
    return rows.map((row) => ({ path: row.path, size: Number(row.size) }));
  }

  /** Reads a stored object once, for its size and sha256; undefined when it is not there. */
  async measure(path: string): Promise<{ size: number; sha256: string } | undefined> {
    const object = await this.storage.get(path);
    if (!object) return undefined;
    const hash = createHash('sha256');
    for await (const chunk of object.body) hash.update(chunk as Buffer);
    return { size: object.size, sha256: hash.digest('hex') };
  }

  /** The model a just-stored MLmodel file describes, read back (it is small); undefined for any other file. */
  async modelIn(path: string): Promise<ModelSummary | undefined> {
    if (posix.basename(path) !== 'MLmodel') return undefined;
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
}
