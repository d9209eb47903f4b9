import { Inject, Injectable, Optional } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { FastifyRequest } from 'fastify';
import {
  AccessDecisions,
  AccessRule,
  Action,
  isReadable,
  Locator,
  OwnerLookup,
  ownerOf,
  ReadableSet,
  requestValues,
  Rules,
} from '@logbook/access';
import { Database, Principal } from '@logbook/platform';
import { DATABASE } from './tokens';

/**
 * Who may call the tracking routes, as MLflow 3.17's validators decide (mlflow/server/auth/__init__.py):
 * an experiment's permission decides for it and, through a tier, for its runs and logged models. Every
 * request on a run or logged model also needs READ on its experiment (MLflow's "experiment READ
 * baseline"), so a grant on the tier's wildcard never opens an experiment the caller may not read.
 */

const EXPERIMENT = 'experiment';
export const RUN_TIER = 'run';
export const LOGGED_MODEL_TIER = 'logged_model';

/** What an experiment's delete reaches (MLflow's _EXPERIMENT_CASCADE_TIERS): each tier's grant may withhold it. */
const EXPERIMENT_CASCADE_TIERS = [
  'run',
  'trace',
  'logged_model',
  'assessment',
  'review_queue',
  'scorer',
  'scorer_version',
] as const;

/** How many run (and logged model) ids a lookup keeps the experiment of: a few MB at most. */
export const OWNER_CACHE_SIZE = 100_000;

/** A map that forgets its oldest entries beyond `size`: a run never changes experiment, so nothing goes stale. */
class BoundedMap {
  private readonly entries = new Map<string, string>();
  constructor(private readonly size: number) {}

  get(key: string): string | undefined {
    return this.entries.get(key);
  }

  set(key: string, value: string): void {
    if (this.entries.size >= this.size && !this.entries.has(key)) {
      this.entries.delete(this.entries.keys().next().value as string);
    }
    this.entries.set(key, value);
  }
}

/** Ids to an immutable owner, read once from the database and kept in a bounded map. */
abstract class CachedOwnerLookup implements OwnerLookup {
  private readonly owners = new BoundedMap(OWNER_CACHE_SIZE);

  constructor(
    private readonly db: Database,
    /** SELECT id, owner FROM ... WHERE id = ANY($1::text[]). */
    private readonly sql: string,
  ) {}

  async ownerOf(id: string): Promise<string | null> {
    const known = this.owners.get(id);
    if (known !== undefined) return known;
    return (await this.ownersOf([id]))[0];
  }

  /** Each id's owner (null for an unknown id), reading every id not yet known in one query. */
  async ownersOf(ids: string[]): Promise<Array<string | null>> {
    const missing = [...new Set(ids.filter((id) => this.owners.get(id) === undefined))];
    if (missing.length > 0) {
      const { rows } = await this.db.query<{ id: string; owner: string }>(this.sql, [missing]);
      for (const row of rows) this.owners.set(row.id, row.owner);
    }
    return ids.map((id) => this.owners.get(id) ?? null);
  }

  /** An owner learned elsewhere (a run just created), so its first request reads nothing. */
  remember(id: string, owner: string): void {
    this.owners.set(id, owner);
  }
}

/** A run's experiment, which never changes: read once per run and process. */
@Injectable()
export class RunExperimentLookup extends CachedOwnerLookup {
  constructor(@Inject(DATABASE) db: Database) {
    super(db, `SELECT run_id AS id, experiment_id::text AS owner FROM tracking.runs WHERE run_id = ANY($1::text[])`);
  }
}

/** A logged model's experiment, which never changes either. */
@Injectable()
export class LoggedModelExperimentLookup extends CachedOwnerLookup {
  constructor(@Inject(DATABASE) db: Database) {
    super(
      db,
      `SELECT model_id AS id, experiment_id::text AS owner FROM tracking.logged_models WHERE model_id = ANY($1::text[])`,
    );
  }
}

/** The experiment a name names now (a rename moves the name, so nothing is kept). */
@Injectable()
export class ExperimentNameLookup implements OwnerLookup {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  async ownerOf(name: string): Promise<string | null> {
    const { rows } = await this.db.query<{ id: string }>(
      `SELECT experiment_id::text AS id FROM tracking.experiments WHERE name = $1`,
      [name],
    );
    return rows[0]?.id ?? null;
  }
}

/** A locator whose ids are found once per request, however many of the route's rules ask. */
function oncePerRequest(locator: Locator): Locator {
  const found = new WeakMap<FastifyRequest, Promise<string[]>>();
  return {
    describe: locator.describe,
    locate(request, moduleRef) {
      let ids = found.get(request);
      if (!ids) {
        ids = locator.locate(request, moduleRef);
        found.set(request, ids);
      }
      return ids;
    },
  };
}

const distinct = (values: string[]) => [...new Set(values)];

/**
 * Experiment ids as the database reads them: "007" is experiment 7, whose grants decide. Anything else is
 * left as given, for the route to refuse.
 */
const canonicalExperimentId = (id: string) => (/^\d{1,30}$/.test(id) ? BigInt(id).toString() : id);

/** The experiment ids a parameter names. */
const experimentIds = (name: string): Locator => ({
  describe: name,
  locate: async (request) => distinct(requestValues(request, name).map(canonicalExperimentId)),
});

/** runs/create's experiment: the one named, or the Default experiment ("0") when none or "" is. */
const createRunExperiment: Locator = {
  describe: 'experiment_id (or 0)',
  locate: async (request) => {
    const named = requestValues(request, 'experiment_id').filter((id) => id !== '');
    return named.length > 0 ? distinct(named.map(canonicalExperimentId)) : ['0'];
  },
};

/** The experiments of runs named by parameters: each run once, unknown runs none (the route answers 404). */
const experimentsOfRuns = (...names: string[]): Locator => ({
  describe: `RunExperimentLookup(${names.join('|')})`,
  locate: async (request, moduleRef) => {
    const runIds = distinct(names.flatMap((name) => requestValues(request, name)).filter((id) => id !== ''));
    if (runIds.length === 0) return [];
    const lookup = moduleRef.get(RunExperimentLookup, { strict: false });
    if (runIds.length === 1) {
      const owner = await lookup.ownerOf(runIds[0]);
      return owner === null ? [] : [owner];
    }
    const owners = await lookup.ownersOf(runIds);
    return distinct(owners.filter((owner): owner is string => owner !== null));
  },
});

/** The experiments of logged models, found by `ids` in the request (its path, its body). */
const experimentsOfModels = (describe: string, ids: (request: FastifyRequest) => string[]): Locator => ({
  describe: `LoggedModelExperimentLookup(${describe})`,
  locate: async (request, moduleRef: ModuleRef) => {
    const modelIds = distinct(ids(request).filter((id) => id !== ''));
    if (modelIds.length === 0) return [];
    const owners = await moduleRef.get(LoggedModelExperimentLookup, { strict: false }).ownersOf(modelIds);
    return distinct(owners.filter((owner): owner is string => owner !== null));
  },
});

const body = (request: FastifyRequest): Record<string, unknown> =>
  request.body !== null && typeof request.body === 'object' && !Array.isArray(request.body)
    ? (request.body as Record<string, unknown>)
    : {};

/** The model_id of each object in a body list (log-batch's metrics, log-inputs' and log-outputs' models). */
const modelIdsIn = (list: string) => (request: FastifyRequest) => {
  const items = body(request)[list];
  if (!Array.isArray(items)) return [];
  const ids: string[] = [];
  for (const item of items) {
    const id = item !== null && typeof item === 'object' ? (item as Record<string, unknown>).model_id : undefined;
    if (typeof id === 'string') ids.push(id);
  }
  return ids;
};

const Locate = {
  experiment: oncePerRequest(experimentIds('experiment_id')),
  experiments: oncePerRequest(experimentIds('experiment_ids')),
  experimentByName: oncePerRequest(ownerOf(ExperimentNameLookup, 'experiment_name')),
  createRunExperiment: oncePerRequest(createRunExperiment),
  /** A run named as MLflow's clients name it: run_id, or the deprecated run_uuid (both checked). */
  run: oncePerRequest(experimentsOfRuns('run_id', 'run_uuid')),
  sourceRun: oncePerRequest(experimentsOfRuns('source_run_id')),
  bulkRuns: oncePerRequest(experimentsOfRuns('run_id')),
  bulkIntervalRuns: oncePerRequest(experimentsOfRuns('run_ids')),
  /** The logged model of the path (/logged-models/:modelId). */
  pathModel: oncePerRequest(
    experimentsOfModels('path modelId', (request) => {
      const id = (request.params as Record<string, unknown> | undefined)?.modelId;
      return typeof id === 'string' ? [id] : [];
    }),
  ),
  /** log-metric's model_id. */
  metricModel: oncePerRequest(experimentsOfModels('model_id', (request) => requestValues(request, 'model_id'))),
  batchModels: oncePerRequest(experimentsOfModels('metrics[].model_id', modelIdsIn('metrics'))),
  ioModels: oncePerRequest(experimentsOfModels('models[].model_id', modelIdsIn('models'))),
};

/**
 * An action on resources of a tier inside experiments (MLflow's _run_requirement and
 * _authorize_logged_model_id): READ on each experiment, and the action through the tier.
 */
const through = (tier: string, action: Action, locate: Locator): AccessRule[] => [
  Rules.on(EXPERIMENT, 'read', locate),
  Rules.on(EXPERIMENT, action, locate, tier),
];

/**
 * Creating a tier's resource in an experiment (_authorize_create_in_experiment): UPDATE on the experiment
 * and no DENY on the tier. A tier's wildcard grant can only be READ or more, or DENY, so READ through the
 * tier is exactly "not denied" (without a tier grant it is the experiment's READ, which UPDATE implies).
 */
const createIn = (tier: string, locate: Locator): AccessRule[] => [
  Rules.on(EXPERIMENT, 'update', locate),
  Rules.on(EXPERIMENT, 'read', locate, tier),
];

/** The rules of the tracking routes, one list per MLflow validator. */
export const TrackingRules = {
  // Experiments
  createExperiment: (): AccessRule[] => [Rules.create(EXPERIMENT)],
  readExperiment: (): AccessRule[] => [Rules.on(EXPERIMENT, 'read', Locate.experiment)],
  readExperimentByName: (): AccessRule[] => [Rules.on(EXPERIMENT, 'read', Locate.experimentByName)],
  updateExperiment: (): AccessRule[] => [Rules.on(EXPERIMENT, 'update', Locate.experiment)],
  /** Delete (and restore) reach everything in the experiment: each tier's grant may withhold it. */
  deleteExperiment: (): AccessRule[] => [
    Rules.on(EXPERIMENT, 'delete', Locate.experiment),
    ...EXPERIMENT_CASCADE_TIERS.map((tier) => Rules.on(EXPERIMENT, 'delete', Locate.experiment, tier)),
  ],
  listExperiments: (): AccessRule[] => [Rules.listing(EXPERIMENT)],
  /** search-datasets: READ on every experiment asked for (validate_can_search_datasets), else 403. */
  readEveryExperiment: (): AccessRule[] => [Rules.on(EXPERIMENT, 'read', Locate.experiments)],

  // Runs
  createRun: (): AccessRule[] => createIn(RUN_TIER, Locate.createRunExperiment),
  run: (action: Action): AccessRule[] => through(RUN_TIER, action, Locate.run),
  /** Writes to a run that may also write to logged models: UPDATE on each model too (_validate_can_update_run_and_models). */
  runAndModels: (models: 'metric' | 'batch' | 'io'): AccessRule[] => [
    ...through(RUN_TIER, 'update', Locate.run),
    ...through(
      LOGGED_MODEL_TIER,
      'update',
      models === 'metric' ? Locate.metricModel : models === 'batch' ? Locate.batchModels : Locate.ioModels,
    ),
  ],
  /** runs/search: the caller's readable experiments through the run tier (filter_experiment_ids). */
  listRuns: (): AccessRule[] => [Rules.listing(EXPERIMENT, RUN_TIER)],
  /** The UI's bulk metric reads: READ on every run (validate_can_read_metric_history_bulk). */
  readRuns: (parameter: 'run_id' | 'run_ids'): AccessRule[] =>
    through(RUN_TIER, 'read', parameter === 'run_id' ? Locate.bulkRuns : Locate.bulkIntervalRuns),

  // Logged models
  /** validate_can_create_logged_model: a create in the experiment, and READ on the source run when one is named. */
  createLoggedModel: (): AccessRule[] => [
    ...createIn(LOGGED_MODEL_TIER, Locate.experiment),
    ...through(RUN_TIER, 'read', Locate.sourceRun),
  ],
  loggedModel: (action: Action): AccessRule[] => through(LOGGED_MODEL_TIER, action, Locate.pathModel),
  listLoggedModels: (): AccessRule[] => [Rules.listing(EXPERIMENT, LOGGED_MODEL_TIER)],
};

/** The experiments readable in both sets. */
export function intersectReadable(a: ReadableSet, b: ReadableSet): ReadableSet {
  if (a.all && b.all) return { all: true, except: distinct([...a.except, ...b.except]) };
  if (a.all) return intersectReadable(b, a);
  return { all: false, only: a.only.filter((id) => isReadable(b, id)) };
}

/**
 * The experiments whose tier a listing may show: those its listing rule found through the tier, which are
 * also readable themselves (MLflow's listings ask READ on each row's experiment and no DENY on the tier).
 * Without authentication, everything.
 */
@Injectable()
export class ListingAccess {
  constructor(@Optional() private readonly decisions?: AccessDecisions) {}

  async experimentsThrough(
    principal: Principal | null,
    throughTier: ReadableSet,
    ...tiers: string[]
  ): Promise<ReadableSet> {
    if (!principal || !this.decisions) return throughTier;
    let readable = intersectReadable(throughTier, await this.decisions.readable(principal, EXPERIMENT));
    for (const tier of tiers) {
      readable = intersectReadable(readable, await this.decisions.readable(principal, EXPERIMENT, tier));
    }
    return readable;
  }
}
