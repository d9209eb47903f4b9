import { Inject, Injectable } from '@nestjs/common';
import { Database } from '@logbook/platform';
import { versionNotFound } from '../registered-models/registered-model.decider';
import { DELETED_STAGE } from '../model-versions/model-versions.projection';
import { DATABASE } from '../shared/tokens';

/** `models:/<model_id>`: a version promoted from an MLflow 3 logged model. */
const LOGGED_MODEL_SOURCE = /^models:\/(m-[0-9a-f]{32})\/?$/;

export interface LoggedModelLineage {
  modelId: string;
  sourceRunId: string | null;
}

/** Wire values: int64 as strings, as MLflow's answers carry them; absent rather than null. */
const present = (entries: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(entries).filter(([, value]) => value !== null && value !== undefined));

/** A version's lineage from the registry's own projection of tracking's runs and logged models. */
@Injectable()
export class LineageQueries {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /** The logged model a `models:/<model_id>` source promotes, when the registry has heard of it. */
  async loggedModelOfSource(source: string): Promise<LoggedModelLineage | undefined> {
    const modelId = LOGGED_MODEL_SOURCE.exec(source)?.[1];
    if (!modelId) return undefined;
    const { rows } = await this.db.query<{ model_id: string; source_run_id: string | null }>(
      `SELECT model_id, source_run_id FROM registry.lineage_logged_models WHERE model_id = $1`,
      [modelId],
    );
    return rows[0] && { modelId: rows[0].model_id, sourceRunId: rows[0].source_run_id };
  }

  /** The version, its registration, the logged model and the run it came from, with the run's params, latest metrics and datasets. */
  async ofVersion(name: string, version: number) {
    const { rows } = await this.db.query<{
      registered_model_id: string;
      source: string;
      status: string;
      status_message: string | null;
      digest: string | null;
      storage_location: string | null;
      run_id: string | null;
      model_id: string | null;
    }>(
      `SELECT registered_model_id, source, status, status_message, digest, storage_location, run_id, model_id
       FROM registry.model_versions WHERE name = $1 AND version = $2::bigint AND current_stage <> '${DELETED_STAGE}'`,
      [name, version],
    );
    const row = rows[0];
    if (!row) throw versionNotFound(name, version);
    const loggedModel = row.model_id ? await this.loggedModel(row.model_id) : undefined;
    const runId = row.run_id ?? (loggedModel?.source_run_id as string | undefined);
    return present({
      model_version: present({
        name,
        version: String(version),
        source: row.source,
        status: row.status,
        status_message: row.status_message,
        digest: row.digest,
        storage_location: row.storage_location,
        run_id: runId,
        model_id: row.model_id,
      }),
      logged_model: loggedModel,
      run: runId ? await this.run(runId) : undefined,
    });
  }

  private async loggedModel(modelId: string) {
    const { rows } = await this.db.query<{
      model_id: string;
      name: string;
      experiment_id: string;
      source_run_id: string | null;
      artifact_location: string;
      deleted: boolean;
    }>(
      `SELECT model_id, name, experiment_id, source_run_id, artifact_location, deleted
       FROM registry.lineage_logged_models WHERE model_id = $1`,
      [modelId],
    );
    return rows[0] && present({ ...rows[0], deleted: rows[0].deleted || undefined });
  }

  private async run(runId: string) {
    const { rows } = await this.db.query<{
      run_id: string;
      experiment_id: string;
      run_name: string;
      user_id: string;
      status: string;
      start_time: string;
      end_time: string | null;
      lifecycle_stage: string;
      params: { key: string; value: string }[] | null;
      metrics: { key: string; value: number | string; timestamp: string; step: string }[] | null;
      dataset_inputs:
        { name: string; digest: string; source_type: string; source: string; context: string | null }[] | null;
    }>(
      `SELECT r.run_id, r.experiment_id, r.run_name, r.user_id, r.status, r.start_time::text, r.end_time::text, r.lifecycle_stage,
         (SELECT json_agg(json_build_object('key', p.key, 'value', p.value) ORDER BY p.key)
            FROM registry.lineage_run_params p WHERE p.run_id = r.run_id) AS params,
         (SELECT json_agg(json_build_object('key', m.key, 'value', m.value, 'timestamp', m.timestamp::text, 'step', m.step::text) ORDER BY m.key)
            FROM registry.lineage_run_metrics m WHERE m.run_id = r.run_id) AS metrics,
         (SELECT json_agg(json_build_object('name', d.name, 'digest', d.digest, 'source_type', d.source_type,
                  'source', d.source, 'context', d.context) ORDER BY d.name, d.digest)
            FROM registry.lineage_run_datasets d WHERE d.run_id = r.run_id) AS dataset_inputs
       FROM registry.lineage_runs r WHERE r.run_id = $1`,
      [runId],
    );
    const run = rows[0];
    if (!run) return undefined;
    return present({
      ...run,
      params: run.params ?? undefined,
      metrics: run.metrics ?? undefined,
      dataset_inputs: run.dataset_inputs?.map(present),
    });
  }
}
