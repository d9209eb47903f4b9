import { Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { FastifyRequest } from 'fastify';
import {
  AccessRule,
  Action,
  Locator,
  ownerOf,
  OwnerLookup,
  permissionDenied,
  RequestLocator,
  Rules,
  locatedBy,
} from '@logbook/access';
import { resolveListPrefix } from '@logbook/artifact-paths';
import { MlflowError } from '@logbook/platform';
import { rawPathAfter } from '../artifact-requests';
import { OwnerExperiment, Owners } from '../owners/owners';
import { inRegistryStorage } from '../registrations/registration-source';

/**
 * A resource type no grant can name (identity refuses grants on types MLflow does not have): a rule on
 * it is decided by the default permission alone, as MLflow decides a proxy path that names no experiment.
 */
export const ARTIFACT_STORE = 'artifact_store';

/** A run id (uuid4 hex): a bare one under an experiment's folder is a run's folder (MLflow's _RUN_ID_SEGMENT_PATTERN). */
const RUN_ID = /^[0-9a-f]{32}$/;

/** `<experiment id>` and what follows it, as MLflow reads a proxied path it knows no owner of. */
const EXPERIMENT_PATH = /^(\d+)(?:\/(.*))?$/;

/** The experiment folder `<id>` itself, whose listing names runs (filter_list_artifacts_proxy). */
export const experimentFolder = (path: string): string | undefined => /^(\d+)$/.exec(path)?.[1];

/** Immutable facts (a run's experiment never changes), kept up to a bound, the least recently used going first. */
class BoundedCache {
  private readonly entries = new Map<string, string>();

  constructor(private readonly capacity: number) {}

  get(key: string): string | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  set(key: string, value: string): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
  }
}

/** How many run and logged model ids each lookup remembers the experiment of (the UI asks for the same few). */
const CACHED_OWNERS = 10_000;

/** The experiment of a run (null: unknown, after waiting for it as the route does; the route answers 404). */
@Injectable()
export class RunExperiments implements OwnerLookup {
  private readonly cache = new BoundedCache(CACHED_OWNERS);

  constructor(private readonly owners: Owners) {}

  async ownerOf(runId: string): Promise<string | null> {
    const cached = this.cache.get(runId);
    if (cached !== undefined) return cached;
    const experimentId = await this.owners.experimentOf('run', runId);
    if (experimentId === undefined) return null;
    this.cache.set(runId, experimentId);
    return experimentId;
  }
}

/** The experiment of a logged model (null: unknown; the route answers 404). */
@Injectable()
export class LoggedModelExperiments implements OwnerLookup {
  private readonly cache = new BoundedCache(CACHED_OWNERS);

  constructor(private readonly owners: Owners) {}

  async ownerOf(modelId: string): Promise<string | null> {
    const cached = this.cache.get(modelId);
    if (cached !== undefined) return cached;
    const experimentId = await this.owners.experimentOf('logged-model', modelId);
    if (experimentId === undefined) return null;
    this.cache.set(modelId, experimentId);
    return experimentId;
  }
}

/** The experiment of the logged model a route's path names (`:modelId`). */
@Injectable()
export class LoggedModelInPath implements RequestLocator {
  constructor(private readonly models: LoggedModelExperiments) {}

  async locate(request: FastifyRequest): Promise<string[]> {
    const { modelId } = (request.params ?? {}) as { modelId?: string };
    const experimentId = modelId ? await this.models.ownerOf(modelId) : null;
    return experimentId === null ? [] : [experimentId];
  }
}

/**
 * What an artifact proxy request is judged against, one part per rule (artifactPathRules): experiments
 * judged themselves (an experiment-level path), experiments through the tier of what the path is in,
 * registered models (registry storage) through their versions' tier, and the store outside every
 * experiment (the default permission).
 */
interface PathSubjects {
  experiment: string[];
  run: string[];
  logged_model: string[];
  trace: string[];
  registered_model: string[];
  store: string[];
}

type Part = keyof PathSubjects;

/** MLflow's _get_proxy_artifact_validator: GET reads, PUT and POST (multipart) update, DELETE manages. */
function actionOf(method: string): Action {
  if (method === 'GET' || method === 'HEAD') return 'read';
  return method === 'DELETE' ? 'manage' : 'update';
}

/**
 * The path a proxy request names, as its handler reads it: after its route's prefix in the raw URL (still
 * encoded), or the listing's `path` query parameter. Undefined when it is not one string.
 */
function requestedPath(request: FastifyRequest): string | undefined {
  const route = request.routeOptions.url ?? '';
  if (route.endsWith('/*')) return rawPathAfter(request, route.slice(0, -1));
  const { path } = (request.query ?? {}) as Record<string, unknown>;
  if (path === undefined) return '';
  return typeof path === 'string' ? path : undefined;
}

const tierOf = (owner: OwnerExperiment): Part => (owner.kind === 'run' ? 'run' : 'logged_model');

/**
 * The tiers MLflow judges a path under `<experiment id>/` by when no run or logged model is known to hold
 * it (_artifact_proxy_child_types): `models/` logged models, `traces/` traces, `<id>/artifacts` and a bare
 * run id runs, anything else the experiment itself. A recursive delete is judged by every tier it reaches.
 */
function tiersByShape(rest: string, recursive: boolean): Part[] {
  const segments = rest.split('/').filter(Boolean);
  if (segments.length === 0) return recursive ? ['run', 'trace', 'logged_model'] : ['experiment'];
  if (segments[0] === 'models') return ['logged_model'];
  if (segments[0] === 'traces') return ['trace'];
  if (segments[1] === 'artifacts' || RUN_ID.test(segments[0])) return ['run'];
  return recursive ? ['run'] : ['experiment'];
}

/**
 * Maps an artifact proxy path onto what decides access to it, as MLflow's `_get_proxy_artifact_validator`
 * does, with what this service knows better than a path's shape: the run or logged model whose root holds
 * the path (learned from tracking's events) is judged by its own experiment, whatever location its
 * experiment chose. A path no root holds is read as MLflow reads it: the experiment its first segment
 * names, else the default permission. A path that is not a valid artifact path is refused to all but
 * admins (MLflow's _ARTIFACT_PROXY_UNPARSABLE); an admin passes and the route answers its 400.
 */
@Injectable()
export class ArtifactPathSubjects {
  private readonly resolved = new WeakMap<FastifyRequest, Map<string | undefined, Promise<PathSubjects>>>();

  constructor(private readonly owners: Owners) {}

  /**
   * For the path the request names, or for `path` (raw, as a route builds it), resolved once per request
   * and path, whichever of its rules asks first.
   */
  of(request: FastifyRequest, path?: string): Promise<PathSubjects> {
    let byPath = this.resolved.get(request);
    if (!byPath) {
      byPath = new Map();
      this.resolved.set(request, byPath);
    }
    let subjects = byPath.get(path);
    if (!subjects) {
      subjects = this.resolve(request, path === undefined ? requestedPath(request) : path);
      byPath.set(path, subjects);
    }
    return subjects;
  }

  private async resolve(request: FastifyRequest, raw: string | undefined): Promise<PathSubjects> {
    const subjects: PathSubjects = {
      experiment: [],
      run: [],
      logged_model: [],
      trace: [],
      registered_model: [],
      store: [],
    };
    const path = canonical(raw);
    if (path === undefined) {
      if (request.principal?.isAdmin) return subjects;
      throw permissionDenied();
    }
    const action = actionOf(request.method);
    if (inRegistryStorage(path)) {
      const registeredModelId = path.split('/')[1];
      const name = registeredModelId ? await this.owners.registeredModelName(registeredModelId) : undefined;
      if (name !== undefined) subjects.registered_model.push(name);
      else subjects.store.push(path);
      return subjects;
    }
    const recursive = action === 'manage';
    const holder = await this.owners.holderOf(path, { wait: action !== 'read' });
    if (holder) {
      subjects[tierOf(holder)].push(holder.experimentId);
    } else {
      const match = EXPERIMENT_PATH.exec(path);
      if (match) for (const part of tiersByShape(match[2] ?? '', recursive)) subjects[part].push(match[1]);
      else subjects.store.push(path);
    }
    // Deleting a folder deletes whatever other runs' and logged models' roots lie inside it too. (The
    // store's root is never deleted: the route refuses an empty path.)
    if (recursive && path !== '') {
      for (const owner of await this.owners.beneath(path)) subjects[tierOf(owner)].push(owner.experimentId);
    }
    return subjects;
  }
}

/** The normalized path (as the route resolves it), or undefined for one that is not a valid artifact path. */
function canonical(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  try {
    return resolveListPrefix(raw);
  } catch (error) {
    if (error instanceof MlflowError) return undefined;
    throw error;
  }
}

const inArtifactPath = (part: Part, path?: string): Locator => ({
  describe: `artifact path (${part})`,
  locate: async (request, moduleRef: ModuleRef) =>
    (await moduleRef.get(ArtifactPathSubjects, { strict: false }).of(request, path))[part],
});

/** Each part of a path's subjects, as the resource type and the tier a rule judges it by. */
const PART_RULES: [Part, string, string | undefined][] = [
  ['experiment', 'experiment', undefined],
  ['run', 'experiment', 'run'],
  ['logged_model', 'experiment', 'logged_model'],
  ['trace', 'experiment', 'trace'],
  ['registered_model', 'registered_model', 'registered_model_version'],
  ['store', ARTIFACT_STORE, undefined],
];

/**
 * The rules of an artifact proxy route: `action` on whatever its path is judged against
 * (ArtifactPathSubjects). With `path`, on that path instead of the one the request names: the file a
 * multipart upload writes, which only its body names.
 */
export const artifactPathRules = (action: Action, path?: string): AccessRule[] =>
  PART_RULES.map(([part, resourceType, tier]) => Rules.on(resourceType, action, inArtifactPath(part, path), tier));

/**
 * MLflow's validate_can_read_run_artifact / validate_can_update_run_artifact and ListArtifacts'
 * validate_can_read_run: `action` on the run's experiment, through the run tier. The run is named by
 * `run_id` or `run_uuid`; both are checked, since a route reads whichever is set.
 */
export const runRules = (action: Action): AccessRule[] => [
  Rules.on('experiment', action, ownerOf(RunExperiments, 'run_id'), 'run'),
  Rules.on('experiment', action, ownerOf(RunExperiments, 'run_uuid'), 'run'),
];

/** MLflow's validate_can_read_logged_model: read on the logged model's experiment, through its tier. */
export const loggedModelReadRules: AccessRule[] = [
  Rules.on('experiment', 'read', locatedBy(LoggedModelInPath), 'logged_model'),
];

/** The providers the rules above find their lookups in. */
export const ARTIFACT_ACCESS_PROVIDERS = [
  RunExperiments,
  LoggedModelExperiments,
  LoggedModelInPath,
  ArtifactPathSubjects,
];
