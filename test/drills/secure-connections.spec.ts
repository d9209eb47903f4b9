import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PostgresDatabase } from '@logbook/platform';
import { PrivateKafka, PrivatePostgres, PrivateS3, uniqueName, waitFor } from '@logbook/testing';
import { DistributedPlatform, postJson, storedSteps } from './platform';

/**
 * The distributed shape with every connection secured: Kafka over TLS with SCRAM-SHA-512, PostgreSQL
 * over TLS with the server's certificate verified, S3 over HTTPS with a private authority; the
 * credentials and authorities handed over as files.
 */
describe('drill: every connection over TLS', () => {
  let kafka: PrivateKafka;
  let postgres: PrivatePostgres;
  let s3: PrivateS3;
  let platform: DistributedPlatform;
  let databaseUrl: string;

  before(async () => {
    kafka = await PrivateKafka.create(1, { secure: true });
    postgres = await PrivatePostgres.create({ tls: true });
    s3 = await PrivateS3.create();
    await Promise.all([kafka.start(), postgres.start(), s3.start()]);
    databaseUrl = `${postgres.url}?sslmode=verify-full&sslrootcert=${postgres.caFile}`;
    platform = await DistributedPlatform.start({
      replicas: 1,
      databaseUrl,
      brokers: kafka.secure.brokers,
      namespace: uniqueName('drill-tls'),
      env: {
        KAFKA_TLS_CA_FILE: kafka.secure.caFile,
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
        KAFKA_SASL_USERNAME: kafka.secure.username,
        KAFKA_SASL_PASSWORD: kafka.secure.password,
        S3_ENDPOINT: s3.secure.endpoint,
        S3_BUCKET: s3.secure.bucket,
        S3_ACCESS_KEY: s3.secure.accessKey,
        S3_SECRET_KEY: s3.secure.secretKey,
        NODE_EXTRA_CA_CERTS: s3.secure.caFile,
      },
    });
  });

  after(async () => {
    await platform?.stop();
    await Promise.all([kafka?.destroy(), postgres?.destroy(), s3?.destroy()]);
  });

  it('tracks a run, moves its events through Kafka and its artifact through S3, all encrypted', async () => {
    const { experiment_id: experimentId } = await postJson(platform.url, 'experiments/create', {
      name: uniqueName('tls'),
    });
    const created = await postJson(platform.url, 'runs/create', { experiment_id: experimentId, start_time: 1 });
    const runId = created.run.info.run_id as string;
    await postJson(platform.url, 'runs/log-batch', {
      run_id: runId,
      metrics: [0, 1, 2].map((step) => ({ key: 'm', value: step, timestamp: 1, step })),
    });
    assert.deepEqual(await storedSteps(platform.url, runId), [0, 1, 2]);

    // The artifacts service learns of the run from Kafka before it takes the upload, which goes to S3.
    const artifact = `${platform.url}/api/2.0/mlflow-artifacts/artifacts/${experimentId}/${runId}/artifacts/hello.txt`;
    const upload = await fetch(artifact, { method: 'PUT', body: 'over TLS' });
    assert.equal(upload.status, 200, await upload.text());
    const download = await fetch(artifact);
    assert.equal(download.status, 200);
    assert.equal(await download.text(), 'over TLS');

    const db = new PostgresDatabase(databaseUrl, 1);
    try {
      await waitFor(
        'the registry to learn of the run through Kafka',
        async () =>
          (await db.query('SELECT 1 FROM registry.lineage_runs WHERE run_id = $1', [runId])).rows.length > 0
            ? true
            : undefined,
        30_000,
      );
      const { rows } = await db.query<{ plain: number; encrypted: number }>(
        `SELECT count(*) FILTER (WHERE NOT s.ssl)::int AS plain, count(*) FILTER (WHERE s.ssl)::int AS encrypted
         FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
         WHERE a.backend_type = 'client backend' AND a.datname = current_database()`,
      );
      assert.equal(rows[0].plain, 0, 'no service connected to PostgreSQL without TLS');
      assert.ok(rows[0].encrypted > 1);
    } finally {
      await db.close();
    }
  });
});
