import { Inject, Injectable, Optional } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import {
  AccessDecisions,
  AccessRule,
  EVERYTHING_READABLE,
  locatedBy,
  ownerOf,
  param,
  ReadableSet,
  requestValues,
  RequestLocator,
  Rules,
} from '@logbook/access';
import { Database, MlflowError, Principal } from '@logbook/platform';
import { CommentsQueries } from '../comments/comments.queries';
import { DATABASE } from './tokens';

/** A registered model is granted by its name (MLflow's `registered_model` resource type). */
export const REGISTERED_MODEL = 'registered_model';
/** The tier a request reaches a model's versions through: a grant on (registered_model_version, *) decides for versions. */
export const MODEL_VERSION_TIER = 'registered_model_version';

const modelName = param('name');

/**
 * The rules of MLflow 3.17's registry validators. Its version checks require READ on the model itself and
 * the action on the version tier (falling back to the model when no tier grant exists): two rules here.
 */
export const ModelRules = {
  /** _validate_can_read_registered_model_or_prompt. */
  read: (): AccessRule[] => [Rules.on(REGISTERED_MODEL, 'read', modelName)],
  /** _validate_can_update_registered_model_or_prompt (update, rename, tags). */
  update: (): AccessRule[] => [Rules.on(REGISTERED_MODEL, 'update', modelName)],
  /** validate_can_delete_registered_model_or_prompt_cascade: deleting the model deletes every version. */
  deleteCascade: (): AccessRule[] => [
    Rules.on(REGISTERED_MODEL, 'delete', modelName),
    Rules.on(REGISTERED_MODEL, 'delete', modelName, MODEL_VERSION_TIER),
  ],
  /** validate_can_set_model_or_prompt_version_alias: update the model, and read its versions. */
  setAlias: (): AccessRule[] => [
    Rules.on(REGISTERED_MODEL, 'update', modelName),
    Rules.on(REGISTERED_MODEL, 'read', modelName, MODEL_VERSION_TIER),
  ],
  /** validate_can_delete_model_or_prompt_version_alias: delete on the model, and read its versions. */
  deleteAlias: (): AccessRule[] => [
    Rules.on(REGISTERED_MODEL, 'delete', modelName),
    Rules.on(REGISTERED_MODEL, 'read', modelName, MODEL_VERSION_TIER),
  ],
};

export const VersionRules = {
  /**
   * validate_can_read_model_or_prompt_version (get, by alias, latest, download URI) and
   * validate_can_read_model_version_artifact: read the model, and its versions not denied.
   */
  read: (): AccessRule[] => [
    Rules.on(REGISTERED_MODEL, 'read', modelName),
    Rules.on(REGISTERED_MODEL, 'read', modelName, MODEL_VERSION_TIER),
  ],
  /** validate_can_update_model_or_prompt_version (update, transition, set tag). */
  update: (): AccessRule[] => [
    Rules.on(REGISTERED_MODEL, 'read', modelName),
    Rules.on(REGISTERED_MODEL, 'update', modelName, MODEL_VERSION_TIER),
  ],
  /** validate_can_delete_model_or_prompt_version (delete, delete tag). */
  delete: (): AccessRule[] => [
    Rules.on(REGISTERED_MODEL, 'read', modelName),
    Rules.on(REGISTERED_MODEL, 'delete', modelName, MODEL_VERSION_TIER),
  ],
  /**
   * validate_can_create_model_version: update on the model, its versions not denied, and READ on the run
   * and the logged model the version is made from (through their experiment), where the registry's
   * lineage knows them.
   */
  create: (): AccessRule[] => [
    Rules.on(REGISTERED_MODEL, 'update', modelName),
    Rules.on(REGISTERED_MODEL, 'read', modelName, MODEL_VERSION_TIER),
    Rules.on('experiment', 'read', locatedBy(SourceRunExperiments), 'run'),
    Rules.on('experiment', 'read', locatedBy(SourceLoggedModelExperiments), 'logged_model'),
  ],
};

/**
 * Databricks' comments: whoever may read a version may comment on it (CAN_READ comments). Editing or
 * deleting a comment needs reading the version it is on, found by the comment's id; that only its author
 * (or an admin, to delete) may is the comment's own rule.
 */
export const CommentRules = {
  create: VersionRules.read,
  change: (): AccessRule[] => [
    Rules.on(REGISTERED_MODEL, 'read', ownerOf(CommentsQueries, 'id')),
    Rules.on(REGISTERED_MODEL, 'read', ownerOf(CommentsQueries, 'id'), MODEL_VERSION_TIER),
  ],
};

const RUN_SOURCE = /^runs:\/+([0-9a-f]{32})(?:\/|$)/i;
const LOGGED_MODEL_SOURCE = /^models:\/+(m-[0-9a-f]{32})(?:\/|$)/i;

const sourceOf = (request: FastifyRequest) => requestValues(request, 'source')[0] ?? '';

async function experimentsOf(db: Database, table: string, column: string, ids: string[]): Promise<string[]> {
  const wanted = [...new Set(ids.filter((id) => id !== ''))];
  if (wanted.length === 0) return [];
  const { rows } = await db.query<{ experiment_id: string }>(
    `SELECT DISTINCT experiment_id FROM registry.${table} WHERE ${column} = ANY($1::text[])`,
    [wanted],
  );
  return rows.map((row) => row.experiment_id);
}

/**
 * The experiments of the run a new version names (its run_id, or a runs:/ source), as the registry's
 * lineage projection of tracking's events knows them. A run it has not heard of yet locates nothing.
 */
@Injectable()
export class SourceRunExperiments implements RequestLocator {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  locate(request: FastifyRequest): Promise<string[]> {
    const fromSource = RUN_SOURCE.exec(sourceOf(request))?.[1];
    const ids = [...requestValues(request, 'run_id'), ...(fromSource ? [fromSource] : [])];
    return experimentsOf(this.db, 'lineage_runs', 'run_id', ids);
  }
}

/** The experiments of the logged model a new version names (its model_id, or a models:/<model_id> source). */
@Injectable()
export class SourceLoggedModelExperiments implements RequestLocator {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  locate(request: FastifyRequest): Promise<string[]> {
    const fromSource = LOGGED_MODEL_SOURCE.exec(sourceOf(request))?.[1];
    const ids = [...requestValues(request, 'model_id'), ...(fromSource ? [fromSource] : [])];
    return experimentsOf(this.db, 'lineage_logged_models', 'model_id', ids);
  }
}

/**
 * What the caller may see beyond what a route's rules decided: a listing's versions, the versions a
 * model's answer embeds, a lineage's run. Everything while authentication is off (no principal, or the
 * module started without AccessModule).
 */
@Injectable()
export class RegistryAccess {
  constructor(@Optional() private readonly decisions?: AccessDecisions) {}

  /** The models whose versions the caller may read through the version tier. */
  versionsReadable(principal: Principal | null): Promise<ReadableSet> {
    if (!principal || !this.decisions) return Promise.resolve(EVERYTHING_READABLE);
    return this.decisions.readable(principal, REGISTERED_MODEL, MODEL_VERSION_TIER);
  }

  /** The models the caller may read (without the version tier). */
  modelsReadable(principal: Principal | null): Promise<ReadableSet> {
    if (!principal || !this.decisions) return Promise.resolve(EVERYTHING_READABLE);
    return this.decisions.readable(principal, REGISTERED_MODEL);
  }

  /** May the caller read the runs (tier `run`) or logged models (tier `logged_model`) of an experiment? */
  async mayRead(principal: Principal | null, experimentId: string, tier: 'run' | 'logged_model'): Promise<boolean> {
    if (!principal || !this.decisions) return true;
    return this.decisions.may(principal, { resourceType: 'experiment', resourceId: experimentId, tier }, 'read');
  }

  /** May the caller move the model's versions between stages (update on the version tier)? */
  mayUpdateVersions(principal: Principal | null, name: string): Promise<boolean> {
    return this.mayOnVersions(principal, name, 'update');
  }

  /** May the caller read the model's versions (read on the model and on the version tier)? */
  mayReadVersions(principal: Principal | null, name: string): Promise<boolean> {
    return this.mayOnVersions(principal, name, 'read');
  }

  /** Read on the model, and the action on its version tier, as MLflow's version validators ask. */
  private async mayOnVersions(principal: Principal | null, name: string, action: 'read' | 'update'): Promise<boolean> {
    if (!principal || !this.decisions) return true;
    const [model, versions] = await Promise.all([
      this.decisions.may(principal, { resourceType: REGISTERED_MODEL, resourceId: name }, 'read'),
      this.decisions.may(
        principal,
        { resourceType: REGISTERED_MODEL, resourceId: name, tier: MODEL_VERSION_TIER },
        action,
      ),
    ]);
    return model && versions;
  }

  /**
   * The principal a command on Kafka acts as: identity's user of that name, with their grants and roles.
   * A name identity does not know is refused, as a request that fails to sign in is.
   */
  async principalNamed(username: string): Promise<Principal> {
    const principal = await this.decisions?.principalNamed(username, 'kafka');
    if (!principal) {
      throw new MlflowError('UNAUTHENTICATED', `No user named '${username}': commands act as users of identity.`);
    }
    return principal;
  }

  /** The roles and identity-provider groups approval policies know the caller by; none while authentication is off. */
  async rolesOf(principal: Principal | null): Promise<string[]> {
    if (!principal || !this.decisions) return [];
    return this.decisions.rolesOf(principal);
  }

  /** MLflow grants the creator MANAGE on a registered model it made (set_can_manage_registered_model_permission). */
  async grantCreator(principal: Principal | null, name: string): Promise<void> {
    if (principal && this.decisions) await this.decisions.grantCreator(principal, REGISTERED_MODEL, name);
  }

  /** A rename moves every grant on the model to its new name (MLflow's rename_registered_model_permission). */
  async renamed(name: string, newName: string): Promise<void> {
    await this.decisions?.resourceRenamed(REGISTERED_MODEL, name, newName);
  }

  /** A deletion ends every grant on the model's name, so a later model of that name starts without them. */
  async deleted(name: string): Promise<void> {
    await this.decisions?.resourceDeleted(REGISTERED_MODEL, name);
  }
}
