import { Inject, Injectable } from '@nestjs/common';
import { Database, Queryable } from '@logbook/platform';
import { EvidenceFacts, Person, PolicyTarget } from '../governance/policy-evaluator';
import { versionNotFound } from '../registered-models/registered-model.decider';
import { DELETED_STAGE } from '../model-versions/model-versions.projection';
import { Stage } from '../shared/limits';
import { DATABASE } from '../shared/tokens';
import { RequestStatus } from './transition-request.decider';

/** A version as requests see it: where it is, and the evidence policies read. */
export interface VersionFacts {
  registeredModelId: string;
  name: string;
  version: number;
  currentStage: Stage;
  evidence: EvidenceFacts;
}

export interface ApprovalRow {
  approver: Person;
  roles: string[];
  comment: string | null;
  digest: string;
  time: number;
}

export interface TransitionRequestRow {
  request_id: string;
  registered_model_id: string;
  name: string;
  version: number;
  from_stage: string;
  target_kind: PolicyTarget['kind'];
  target: string;
  status: RequestStatus;
  requester_id: string;
  requester_name: string;
  comment: string | null;
  policy_name: string | null;
  policy_version: number | null;
  approvals: ApprovalRow[];
  evaluation: Record<string, unknown> | null;
  break_glass: { principal: Person; reason: string } | null;
  expires_at: number | null;
  creation_time: number;
  last_updated_time: number;
}

const REQUEST_COLUMNS = `r.request_id, r.registered_model_id, v.name, r.version, r.from_stage, r.target_kind, r.target,
  r.status, r.requester_id, r.requester_name, r.comment, r.policy_name, r.policy_version, r.approvals, r.evaluation,
  r.break_glass, r.expires_at, r.creation_time, r.last_updated_time`;

const FROM_REQUESTS = `FROM registry.transition_requests r
  JOIN registry.model_versions v ON v.registered_model_id = r.registered_model_id AND v.version = r.version`;

export const targetName = (target: PolicyTarget) => (target.kind === 'stage' ? target.stage : target.alias);

@Injectable()
export class TransitionRequestsQueries {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /** A live version with its tags, its status and digest, and the latest metrics of its source run. */
  async versionFacts(name: string, version: number): Promise<VersionFacts> {
    const { rows } = await this.db.query<{
      registered_model_id: string;
      current_stage: Stage;
      status: string;
      digest: string | null;
      tags: Record<string, string>;
      metrics: Record<string, number>;
    }>(
      `SELECT v.registered_model_id, v.current_stage, v.status, v.digest,
         coalesce((SELECT jsonb_object_agg(t.key, t.value) FROM registry.model_version_tags t
                   WHERE t.registered_model_id = v.registered_model_id AND t.version = v.version), '{}') AS tags,
         coalesce((SELECT jsonb_object_agg(m.key, m.value) FROM registry.lineage_run_metrics m
                   WHERE m.run_id = v.run_id), '{}') AS metrics
       FROM registry.model_versions v
       WHERE v.name = $1 AND v.version = $2::bigint AND v.current_stage <> '${DELETED_STAGE}'`,
      [name, version],
    );
    const row = rows[0];
    if (!row) throw versionNotFound(name, version);
    return {
      registeredModelId: row.registered_model_id,
      name,
      version,
      currentStage: row.current_stage,
      evidence: { tags: row.tags, metrics: row.metrics, status: row.status, digest: row.digest },
    };
  }

  /** The open request for a version and target, if there is one. */
  async open(registeredModelId: string, version: number, target: PolicyTarget): Promise<TransitionRequestRow | null> {
    const { rows } = await this.db.query<TransitionRequestRow>(
      `SELECT ${REQUEST_COLUMNS} ${FROM_REQUESTS}
       WHERE r.registered_model_id = $1 AND r.version = $2 AND r.target_kind = $3 AND r.target = $4
         AND r.status = 'PENDING'`,
      [registeredModelId, version, target.kind, targetName(target)],
    );
    return rows[0] ?? null;
  }

  /** `db`: the transaction that changed it, when it has not committed yet. */
  async byId(requestId: string, db: Queryable = this.db): Promise<TransitionRequestRow | null> {
    const { rows } = await db.query<TransitionRequestRow>(
      `SELECT ${REQUEST_COLUMNS} ${FROM_REQUESTS} WHERE r.request_id = $1`,
      [requestId],
    );
    return rows[0] ?? null;
  }

  /** The open requests of a version, oldest first. */
  async openOfVersion(registeredModelId: string, version: number): Promise<TransitionRequestRow[]> {
    const { rows } = await this.db.query<TransitionRequestRow>(
      `SELECT ${REQUEST_COLUMNS} ${FROM_REQUESTS}
       WHERE r.registered_model_id = $1 AND r.version = $2 AND r.status = 'PENDING'
       ORDER BY r.creation_time, r.request_id`,
      [registeredModelId, version],
    );
    return rows;
  }

  /** Open requests whose time is up. */
  async due(now: number, limit: number): Promise<string[]> {
    const { rows } = await this.db.query<{ request_id: string }>(
      `SELECT request_id FROM registry.transition_requests
       WHERE status = 'PENDING' AND expires_at <= $1 ORDER BY expires_at LIMIT $2`,
      [now, limit],
    );
    return rows.map((row) => row.request_id);
  }
}
