import { Inject, Injectable } from '@nestjs/common';
import { Database } from '@logbook/platform';
import { decodeOffsetToken, encodeOffsetToken } from '@logbook/search';
import { checkMaxResults } from '../model-versions/model-versions.queries';
import { SEARCH_POLICIES } from './policies.dto';
import { DATABASE } from '../shared/tokens';
import { PolicyDefinition } from './policy-definition';
import { policyNotFound } from './policy.decider';

interface PolicyRow {
  name: string;
  version: number;
  definition: PolicyDefinition;
  hash: string;
  creation_time: string | number;
  time: string | number;
}

/**
 * A policy as the API answers it: its definition with its fields in the order it is written (jsonb keeps
 * them in its own), and which version it is.
 */
export type PolicyView = PolicyDefinition & {
  version: number;
  hash: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
};

const view = ({ definition: d, ...row }: PolicyRow): PolicyView => ({
  name: d.name,
  description: d.description,
  applies_to: d.applies_to,
  targets: { stages: d.targets.stages, aliases: d.targets.aliases },
  approvals: d.approvals.map(({ count, from }) => ({ count, from })),
  evidence: {
    tags: d.evidence.tags,
    metrics: d.evidence.metrics.map(({ key, op, value }) => ({ key, op, value })),
    ready: d.evidence.ready,
  },
  expires_after: d.expires_after,
  break_glass: { principals: d.break_glass.principals },
  version: row.version,
  hash: row.hash,
  creation_timestamp: Number(row.creation_time),
  last_updated_timestamp: Number(row.time),
});

const LIVE = `SELECT name, version, definition, hash, creation_time, last_updated_time AS time FROM registry.policies`;

@Injectable()
export class PoliciesQueries {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /** The live version of a policy, or the version asked for: versions stay readable after a deletion. */
  async get(name: string, version?: number): Promise<PolicyView> {
    const { rows } =
      version === undefined
        ? await this.db.query<PolicyRow>(`${LIVE} WHERE name = $1`, [name])
        : await this.db.query<PolicyRow>(
            `SELECT name, version, definition, hash, creation_time, time FROM registry.policy_versions
             WHERE name = $1 AND version = $2::bigint`,
            [name, version],
          );
    if (rows.length === 0) throw policyNotFound(version === undefined ? name : `${name}, version=${version}`);
    return view(rows[0]);
  }

  /** A page of the live policies (those that apply to `model_name`, when given), by name. */
  async search(request: {
    model_name?: string;
    max_results?: number;
    page_token?: string;
  }): Promise<{ policies: PolicyView[]; next_page_token?: string }> {
    const maxResults = checkMaxResults(request.max_results, SEARCH_POLICIES);
    const offset = decodeOffsetToken(request.page_token);
    const { rows } = await this.db.query<PolicyRow>(
      `${LIVE} WHERE $1::text IS NULL OR $1 LIKE applies_to_like ESCAPE '\\'
       ORDER BY name LIMIT $2 OFFSET $3`,
      [request.model_name ?? null, maxResults + 1, offset],
    );
    const policies = rows.slice(0, maxResults).map(view);
    return rows.length > maxResults
      ? { policies, next_page_token: encodeOffsetToken(offset + maxResults) }
      : { policies };
  }
}
