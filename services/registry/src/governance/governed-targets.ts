import { Inject, Injectable } from '@nestjs/common';
import { Database } from '@logbook/platform';
import { DATABASE } from '../shared/tokens';
import { GovernedStage } from './policy-definition';

/** The policy (at its live version) that governs a target. */
export interface PolicyRef {
  name: string;
  version: number;
}

export interface GovernedTargetsOfModel {
  stages: Partial<Record<GovernedStage, PolicyRef>>;
  aliases: Record<string, PolicyRef>;
}

export const UNGOVERNED: GovernedTargetsOfModel = { stages: {}, aliases: {} };

/**
 * Which stages and aliases of a registered model only the request flow may change, and under which
 * policy. Where several policies govern one target, the most specific applies: an exact name before
 * any glob, then the glob with the most literal characters, then the first by name.
 */
@Injectable()
export class GovernedTargets {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  async forModel(name: string): Promise<GovernedTargetsOfModel> {
    const { rows } = await this.db.query<{ kind: 'stage' | 'alias'; target: string; name: string; version: number }>(
      `SELECT DISTINCT ON (t.kind, t.target) t.kind, t.target, p.name, p.version
       FROM registry.policies p
       CROSS JOIN LATERAL (
         SELECT 'stage' AS kind, stage AS target FROM jsonb_array_elements_text(p.definition->'targets'->'stages') stage
         UNION ALL
         SELECT 'alias', alias FROM jsonb_array_elements_text(p.definition->'targets'->'aliases') alias
       ) t
       WHERE $1 LIKE p.applies_to_like ESCAPE '\\'
       ORDER BY t.kind, t.target, translate(p.applies_to, '*?', '') = p.applies_to DESC,
         length(translate(p.applies_to, '*?', '')) DESC, p.name`,
      [name],
    );
    const governed: GovernedTargetsOfModel = { stages: {}, aliases: {} };
    for (const row of rows) {
      const ref = { name: row.name, version: row.version };
      if (row.kind === 'stage') governed.stages[row.target as GovernedStage] = ref;
      else governed.aliases[row.target] = ref;
    }
    return governed;
  }
}
