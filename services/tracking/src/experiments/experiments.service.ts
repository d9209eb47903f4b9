import { resolve } from 'node:path';
import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { checkArtifactLocation } from '@logbook/artifact-paths';
import {
  alreadyExists,
  CommandMetadata,
  Database,
  invalidParameter,
  isUniqueViolation,
  SYSTEM_METADATA,
} from '@logbook/platform';
import { EventStore } from '@logbook/eventstore';
import { TrackingConfig } from '../config';
import { LIMITS } from '../shared/limits';
import { DATABASE, EVENT_STORE, TRACKING_CONFIG } from '../shared/tokens';
import { ExperimentCommand, experimentStream, experimentStreamId } from './experiment.decider';
import { Tag } from './experiment.events';
import { ExperimentsQueries } from './experiments.queries';

export const DEFAULT_EXPERIMENT_ID = '0';

type CommandOf<T extends ExperimentCommand['type']> = Extract<ExperimentCommand, { type: T }>['data'];

@Injectable()
export class ExperimentsService implements OnApplicationBootstrap {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(DATABASE) private readonly db: Database,
    @Inject(TRACKING_CONFIG) private readonly config: TrackingConfig,
    private readonly queries: ExperimentsQueries,
  ) {}

  async create(
    name: string,
    artifactLocation: string | undefined,
    tags: Tag[],
    metadata: CommandMetadata,
  ): Promise<string> {
    if (artifactLocation !== undefined && artifactLocation !== '') validateArtifactLocation(artifactLocation);
    const location = artifactLocation ? resolveLocalLocation(artifactLocation) : artifactLocation;
    const nameTaken = name ? await this.queries.nameTaken(name) : false;
    const { rows } = await this.db.query<{ id: string }>(`SELECT nextval('tracking.experiment_ids')::text AS id`);
    return this.createWithId(rows[0].id, name, location, tags, nameTaken, metadata);
  }

  /** Experiment "0" ("Default") exists before the first request, as MLflow clients fall back to it. */
  async onApplicationBootstrap(): Promise<void> {
    if (await this.queries.findRow(DEFAULT_EXPERIMENT_ID)) return;
    try {
      await this.createWithId(DEFAULT_EXPERIMENT_ID, 'Default', undefined, [], false, SYSTEM_METADATA());
    } catch (error) {
      // Another replica starting on the same fresh database at the same time created it first.
      if (!(await this.queries.findRow(DEFAULT_EXPERIMENT_ID))) throw error;
    }
  }

  async rename(experimentId: string, newName: string, metadata: CommandMetadata): Promise<void> {
    const nameTaken = await this.queries.nameTaken(newName);
    await this.execute('RenameExperiment', experimentId, { experimentId, newName, nameTaken }, metadata, newName);
  }

  async delete(experimentId: string, metadata: CommandMetadata): Promise<void> {
    await this.execute('DeleteExperiment', experimentId, { experimentId }, metadata);
  }

  async restore(experimentId: string, metadata: CommandMetadata): Promise<void> {
    await this.execute('RestoreExperiment', experimentId, { experimentId }, metadata);
  }

  async setTag(experimentId: string, key: string, value: string, metadata: CommandMetadata): Promise<void> {
    await this.execute('SetExperimentTag', experimentId, { experimentId, key, value }, metadata);
  }

  async deleteTag(experimentId: string, key: string, metadata: CommandMetadata): Promise<void> {
    await this.execute('DeleteExperimentTag', experimentId, { experimentId, key }, metadata);
  }

  private async createWithId(
    experimentId: string,
    name: string,
    artifactLocation: string | undefined,
    tags: Tag[],
    nameTaken: boolean,
    metadata: CommandMetadata,
  ): Promise<string> {
    const location = artifactLocation || `${this.config.defaultArtifactRoot}/${experimentId}`;
    await this.execute(
      'CreateExperiment',
      experimentId,
      { experimentId, name, artifactLocation: location, tags, nameTaken },
      metadata,
      name,
    );
    return experimentId;
  }

  private async execute<T extends ExperimentCommand['type']>(
    type: T,
    experimentId: string,
    data: CommandOf<T>,
    metadata: CommandMetadata,
    name?: string,
  ): Promise<void> {
    try {
      await this.store.handle(
        experimentStream,
        experimentStreamId(experimentId),
        { type, data, metadata } as ExperimentCommand,
        metadata,
      );
    } catch (error) {
      if (name !== undefined && isUniqueViolation(error)) {
        throw alreadyExists(`Experiment(name=${name}) already exists. Error: duplicate experiment name`);
      }
      throw error;
    }
  }
}

/**
 * A location without a URI scheme is a local path, which MLflow's stores make absolute against the
 * server's working directory (resolve_uri_if_local); URIs are kept as given.
 */
function resolveLocalLocation(location: string): string {
  return /^[A-Za-z][A-Za-z0-9+.-]*:/.test(location) ? location : resolve(location);
}

function validateArtifactLocation(location: string): void {
  if (location.length > LIMITS.artifactLocation) {
    throw invalidParameter(
      `Invalid artifact location: exceeds the maximum length of ${LIMITS.artifactLocation} characters`,
    );
  }
  if (location.startsWith('runs:')) {
    throw invalidParameter(`Artifact location cannot be a runs:/ URI. Given: '${location}'`);
  }
  if (/[?#]/.test(location)) {
    throw invalidParameter(`Invalid artifact location '${location}': URL parameters and fragments are not allowed.`);
  }
  checkArtifactLocation(location);
}
