import { Inject, Injectable } from '@nestjs/common';
import { isStoreRoot } from '@logbook/artifact-paths';
import { Announcements } from '@logbook/messaging';
import { Database, MlflowError } from '@logbook/platform';
import { OwnerFact } from '../artifact.decider';
import { ArtifactsConfig } from '../config';
import { inRegistryStorage, REGISTRY_STORAGE_PREFIX } from '../registrations/registration-source';
import { ARTIFACTS_CONFIG, DATABASE } from '../shared/tokens';

interface OwnerRow {
  root: string;
  kind: 'run' | 'logged-model';
  owner_id: string;
  lifecycle_stage: string;
  experiment_lifecycle_stage: string;
}

const OWNER_COLUMNS = 'root, kind, owner_id, lifecycle_stage, experiment_lifecycle_stage';

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

/** A run or logged model as access to its artifacts is decided: by its experiment, through its kind's tier. */
export interface OwnerExperiment {
  kind: OwnerRow['kind'];
  experimentId: string;
}

const likePrefix = (path: string) => `${path.replace(/[\\%_]/g, '\\$&')}/%`;

function ownerFact(row: OwnerRow): OwnerFact {
  return {
    root: row.root,
    kind: row.kind,
    ownerId: row.owner_id,
    active: row.lifecycle_stage === 'active' && row.experiment_lifecycle_stage === 'active',
  };
}

/** The runs and logged models artifacts belong to, as the artifacts service learned them from tracking's events. */
@Injectable()
export class Owners {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(ARTIFACTS_CONFIG) private readonly config: ArtifactsConfig,
    private readonly announcements: Announcements,
  ) {}

  /**
   * The run or logged model a path belongs to. When none is known yet, it waits for one only if the path
   * names an id tracking has not announced (its events may lag); otherwise the answer is already final.
   * Registry storage belongs to no run or logged model: nothing there may be written or deleted.
   */
  async ownerOf(path: string): Promise<OwnerFact | undefined> {
    if (inRegistryStorage(path)) {
      throw new MlflowError(
        'PERMISSION_DENIED',
        `'${path}' is in registry storage ('${REGISTRY_STORAGE_PREFIX}/'), which is read-only: registered model versions never change`,
      );
    }
    const lookup = async () => {
      const { rows } = await this.db.query<OwnerRow>(
        `SELECT ${OWNER_COLUMNS} FROM artifacts.owners WHERE root = ANY($1::text[]) ORDER BY length(root) DESC LIMIT 1`,
        [rootCandidates(path)],
      );
      return rows[0] && ownerFact(rows[0]);
    };
    const found = await lookup();
    if (found) return found;
    // Looked up again when the answer is final: the owner may have been announced between the two queries.
    return (await this.mayStillBeAnnounced(ownerIdsIn(path))) ? this.untilAnnounced(lookup) : lookup();
  }

  /** The artifact root of a run or logged model, waiting for it to be announced when the id could be one. */
  async rootOf(kind: OwnerRow['kind'], ownerId: string): Promise<string | undefined> {
    const lookup = async () => {
      const { rows } = await this.db.query<{ root: string }>(
        `SELECT root FROM artifacts.owners WHERE owner_id = $1 AND kind = $2`,
        [ownerId, kind],
      );
      return rows[0]?.root;
    };
    return (await lookup()) ?? (OWNER_ID.test(ownerId) ? this.untilAnnounced(lookup) : undefined);
  }

  /** The owner whose root is exactly `root`, without waiting. */
  async withRoot(root: string): Promise<OwnerFact | undefined> {
    const { rows } = await this.db.query<OwnerRow>(`SELECT ${OWNER_COLUMNS} FROM artifacts.owners WHERE root = $1`, [
      root,
    ]);
    return rows[0] && ownerFact(rows[0]);
  }

  /** The experiment of a run or logged model, waiting for it to be announced when the id could be one. */
  async experimentOf(kind: OwnerRow['kind'], ownerId: string): Promise<string | undefined> {
    const lookup = async () => {
      const { rows } = await this.db.query<{ experiment_id: string }>(
        `SELECT experiment_id FROM artifacts.owners WHERE owner_id = $1 AND kind = $2`,
        [ownerId, kind],
      );
      return rows[0]?.experiment_id;
    };
    return (await lookup()) ?? (OWNER_ID.test(ownerId) ? this.untilAnnounced(lookup) : undefined);
  }

  /**
   * The run or logged model whose root holds a path, by experiment, for deciding access to it. With
   * `wait` (a write, which ownerOf will wait for too), it waits as ownerOf does for an id not announced
   * yet; without, it answers at once. Registry storage belongs to none.
   */
  async holderOf(path: string, { wait }: { wait: boolean }): Promise<OwnerExperiment | undefined> {
    if (inRegistryStorage(path)) return undefined;
    const lookup = async () => {
      const { rows } = await this.db.query<{ kind: OwnerRow['kind']; experiment_id: string }>(
        `SELECT kind, experiment_id FROM artifacts.owners WHERE root = ANY($1::text[]) ORDER BY length(root) DESC LIMIT 1`,
        [rootCandidates(path)],
      );
      return rows[0] && { kind: rows[0].kind, experimentId: rows[0].experiment_id };
    };
    const found = await lookup();
    if (found || !wait) return found;
    return (await this.mayStillBeAnnounced(ownerIdsIn(path))) ? this.untilAnnounced(lookup) : lookup();
  }

  /** Every run and logged model whose root lies below a path: what deleting the path would reach too. */
  async beneath(path: string): Promise<OwnerExperiment[]> {
    const { rows } = await this.db.query<{ kind: OwnerRow['kind']; experiment_id: string }>(
      `SELECT DISTINCT kind, experiment_id FROM artifacts.owners WHERE root LIKE $1`,
      [likePrefix(path)],
    );
    return rows.map((row) => ({ kind: row.kind, experimentId: row.experiment_id }));
  }

  /** The current name of a registered model with copies in registry storage, by Logbook's id for it. */
  async registeredModelName(registeredModelId: string): Promise<string | undefined> {
    const { rows } = await this.db.query<{ name: string }>(
      `SELECT name FROM artifacts.registered_model_names WHERE registered_model_id = $1`,
      [registeredModelId],
    );
    return rows[0]?.name;
  }

  /** Roots of every run and logged model that is not purged. */
  async ownedRoots(): Promise<string[]> {
    const { rows } = await this.db.query<{ root: string }>(
      `SELECT root FROM artifacts.owners WHERE lifecycle_stage <> 'purged' ORDER BY root`,
    );
    return rows.map((row) => row.root).filter(isStoreRoot);
  }

  private async mayStillBeAnnounced(ownerIds: string[]): Promise<boolean> {
    if (ownerIds.length === 0) return false;
    const { rows } = await this.db.query<{ owner_id: string }>(
      `SELECT owner_id FROM artifacts.owners WHERE owner_id = ANY($1::text[])`,
      [ownerIds],
    );
    return rows.length < new Set(ownerIds).size;
  }

  private untilAnnounced<T>(lookup: () => Promise<T | undefined>): Promise<T | undefined> {
    return this.announcements.until(lookup, this.config.ownerWaitMs);
  }
}
