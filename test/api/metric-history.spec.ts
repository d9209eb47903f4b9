import 'reflect-metadata';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Module } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import Fastify, { FastifyInstance } from 'fastify';
import pino from 'pino';
import { createHttpApp, Database, PostgresDatabase } from '@logbook/platform';
import { createTestDatabase } from '@logbook/testing';
import { registerRoutes, routingTable } from '../../services/gateway/src/routing';
import { upstreamPools } from '../../services/gateway/src/upstream-pool';
import { loadTrackingConfig } from '../../services/tracking/src/config';
import { HISTORY_CHUNK_POINTS } from '../../services/tracking/src/runs/metrics.queries';
import { TrackingModule } from '../../services/tracking/src/tracking.module';
import { startTrackingRuntime, TrackingRuntime } from '../../services/tracking/src/tracking.runtime';

const logger = pino({ level: 'silent' });

interface Point {
  timestamp: number | string;
  step: number | string;
  value: number;
}

/** Values MLflow's JSON writes in its own ways, placed so that some fall on chunk boundaries. */
const SPECIAL_VALUES = [NaN, Infinity, -Infinity, -0, 1e-300, 0.1 + 0.2, 1e21, 1e-7, -2.5e-5, 123456789.125, 1.5e300];

/**
 * More than two chunks of one metric: four points per timestamp, two steps each, so that the order by
 * timestamp, step and value decides within a timestamp; every other value is one of the special ones.
 */
function longHistory(): Point[] {
  const points: Point[] = [];
  for (let i = 0; i < 2 * HISTORY_CHUNK_POINTS + 123; i++) {
    const value = i % 2 === 0 ? (i + 1) / 10 : SPECIAL_VALUES[Math.floor(i / 2) % SPECIAL_VALUES.length];
    points.push({ timestamp: 1_000 + Math.floor(i / 4), step: i % 4 < 2 ? 7 : -3, value });
  }
  // An int64 beyond 2^53 left by hand reads as its exact decimal string.
  points.push({ timestamp: '9007199254740993', step: '-9007199254740993', value: 4 });
  return points;
}

/** MLflow's history order: timestamp, step, value, NaN above every number. */
function historyOrder(points: Point[]): Point[] {
  const compareValues = (a: number, b: number) =>
    Number.isNaN(a) ? (Number.isNaN(b) ? 0 : 1) : Number.isNaN(b) ? -1 : a - b;
  return [...points].sort(
    (a, b) =>
      Number(BigInt(a.timestamp) - BigInt(b.timestamp)) ||
      Number(BigInt(a.step) - BigInt(b.step)) ||
      compareValues(a.value, b.value),
  );
}

/** A point as the answer's JSON parses: non-finite doubles as strings, -0 as 0. */
function answered(key: string, point: Point) {
  const { value } = point;
  const wire = Number.isNaN(value)
    ? 'NaN'
    : value === Infinity
      ? 'Infinity'
      : value === -Infinity
        ? '-Infinity'
        : value === 0
          ? 0
          : value;
  return { key, value: wire, timestamp: point.timestamp, step: point.step };
}

/** The page token naming a point, as a page ending with it carries. */
const tokenAfter = (point: Point) =>
  Buffer.from(
    JSON.stringify({
      after: { timestamp: String(point.timestamp), step: String(point.step), value: String(point.value) },
    }),
  ).toString('base64');

/** A database whose statements reading a history after a point (every chunk but the first) fail. */
function failingAfterFirstChunk(db: Database): Database {
  return new Proxy(db, {
    get(target, property, receiver) {
      if (property !== 'query') return Reflect.get(target, property, receiver) as unknown;
      return async (sql: string, params?: unknown[]) => {
        if (sql.includes('(m.ts, m.step, m.value) >')) throw new Error('the connection was lost');
        return target.query(sql, params);
      };
    },
  });
}

async function serve(runtime: TrackingRuntime): Promise<{ app: NestFastifyApplication; base: string }> {
  @Module({ imports: [TrackingModule.with(runtime)] })
  class HistoryModule {}
  const app = await createHttpApp(HistoryModule, { logger, bodyLimitBytes: 2 * 1024 * 1024 });
  await app.listen(0, '127.0.0.1');
  return { app, base: `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}` };
}

async function gatewayInFrontOf(upstream: string): Promise<{ gateway: FastifyInstance; base: string }> {
  const gateway = Fastify();
  await registerRoutes(
    gateway,
    routingTable(upstreamPools({ tracking: upstream, artifacts: upstream, registry: upstream })),
    logger,
  );
  return { gateway, base: await gateway.listen({ port: 0, host: '127.0.0.1' }) };
}

interface Shape {
  name: string;
  open(): Promise<{ runtime: TrackingRuntime; release(): Promise<void> }>;
  /** Whether the answers are read through a gateway, as in the distributed shape. */
  gateway: boolean;
}

const SHAPES: Shape[] = [
  {
    name: 'the distributed shape (Postgres, through the gateway)',
    gateway: true,
    async open() {
      const database = await createTestDatabase('history');
      const runtime = await startTrackingRuntime(
        loadTrackingConfig({ LOGBOOK_MODE: 'embedded' }),
        logger,
        new PostgresDatabase(database.url),
      );
      return { runtime, release: () => database.drop() };
    },
  },
  {
    name: 'the embedded shape (PGlite)',
    gateway: false,
    async open() {
      const dataDir = await mkdtemp(join(tmpdir(), 'logbook-history-pglite-'));
      const runtime = await startTrackingRuntime(
        loadTrackingConfig({
          LOGBOOK_MODE: 'embedded',
          LOGBOOK_DATA_DIR: dataDir,
          LOGBOOK_EMBEDDED_DATABASE: 'pglite',
          LOGBOOK_EMBEDDED_DURABILITY: 'fast',
        }),
        logger,
      );
      return { runtime, release: () => rm(dataDir, { recursive: true, force: true }) };
    },
  },
];

for (const shape of SHAPES) {
  describe(`get-history of a long metric in ${shape.name}`, () => {
    let runtime: TrackingRuntime;
    let release: () => Promise<void>;
    const closers: Array<() => Promise<unknown>> = [];
    let base: string;
    let runId: string;
    const key = 'val/loss ü-1';
    const points = historyOrder(longHistory());

    const post = async (path: string, body: unknown) => {
      const response = await fetch(`${base}/api/2.0/mlflow/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.equal(response.status, 200, await response.clone().text());
      return (await response.json()) as Record<string, any>;
    };
    const history = (query: Record<string, string>, at = base) =>
      fetch(`${at}/api/2.0/mlflow/metrics/get-history?${new URLSearchParams({ run_id: runId, ...query })}`);

    before(async () => {
      ({ runtime, release } = await shape.open());
      const served = await serve(runtime);
      closers.push(() => served.app.close());
      base = served.base;
      if (shape.gateway) {
        const { gateway, base: gatewayBase } = await gatewayInFrontOf(served.base);
        closers.unshift(() => gateway.close());
        base = gatewayBase;
      }
      const experiment = await post('experiments/create', { name: `history-${Date.now()}` });
      runId = (await post('runs/create', { experiment_id: experiment.experiment_id })).run.info.run_id;
      // The key and the run exist through the API; the long history is written straight into the table.
      await post('runs/log-metric', { run_id: runId, key, value: 1, timestamp: 1, step: 1 });
      const { rows } = await runtime.db.query<{ run_key: number; key_id: number }>(
        `SELECT r.run_key, k.key_id FROM tracking.runs r, tracking.metric_keys k WHERE r.run_id = $1 AND k.key = $2`,
        [runId, key],
      );
      const { run_key: runKey, key_id: keyId } = rows[0];
      await runtime.db.query(`DELETE FROM tracking.metrics WHERE run_key = $1 AND key_id = $2`, [runKey, keyId]);
      await runtime.db.query(
        `INSERT INTO tracking.metrics (run_key, key_id, ts, step, value)
         SELECT $1, $2, ts, step, value FROM unnest($3::bigint[], $4::bigint[], $5::float8[]) AS p(ts, step, value)`,
        [
          runKey,
          keyId,
          points.map((p) => String(p.timestamp)),
          points.map((p) => String(p.step)),
          points.map((p) => String(p.value)),
        ],
      );
    });

    after(async () => {
      for (const close of closers) await close();
      await runtime.close();
      await release();
    });

    it('streams a history longer than one chunk whole, in order, every value exactly', async () => {
      const response = await history({ metric_key: key });
      assert.equal(response.status, 200);
      assert.match(String(response.headers.get('content-type')), /^application\/json/);
      assert.equal(response.headers.get('transfer-encoding'), 'chunked', 'written as it is read');
      const answer = (await response.json()) as { metrics: unknown[]; next_page_token?: string };
      assert.equal(answer.metrics.length, points.length);
      assert.deepStrictEqual(
        answer,
        { metrics: points.map((point) => answered(key, point)) },
        'no page token when the whole history is asked for',
      );
    });

    it('pages as before: the same points, each token naming its page’s last point', async () => {
      for (const size of [
        HISTORY_CHUNK_POINTS - 1,
        HISTORY_CHUNK_POINTS,
        HISTORY_CHUNK_POINTS + 1,
        3 * HISTORY_CHUNK_POINTS,
      ]) {
        const read: unknown[] = [];
        let token: string | undefined;
        do {
          const response = await history({
            metric_key: key,
            max_results: String(size),
            ...(token ? { page_token: token } : {}),
          });
          assert.equal(response.status, 200);
          const page = (await response.json()) as { metrics: unknown[]; next_page_token?: string };
          read.push(...page.metrics);
          token = page.next_page_token;
          const more = read.length < points.length;
          assert.equal(token, more ? tokenAfter(points[read.length - 1]) : undefined, `pages of ${size}`);
          if (more) assert.equal(page.metrics.length, size);
        } while (token);
        assert.deepStrictEqual(
          read,
          points.map((point) => answered(key, point)),
          `pages of ${size}`,
        );
      }
    });

    it('answers {} for no points: an unknown run or key, or a token after the last point', async () => {
      const last = tokenAfter(points[points.length - 1]);
      const queries: Array<Record<string, string>> = [
        { metric_key: 'never-logged' },
        { metric_key: key, page_token: last },
        { metric_key: key, page_token: last, max_results: '5' },
      ];
      for (const query of queries) {
        const response = await history(query);
        assert.equal(response.status, 200);
        assert.equal(await response.text(), '{}', JSON.stringify(query));
      }
      const unknownRun = await fetch(
        `${base}/api/2.0/mlflow/metrics/get-history?${new URLSearchParams({ run_id: 'f'.repeat(32), metric_key: key })}`,
      );
      assert.equal(unknownRun.status, 200);
      assert.equal(await unknownRun.text(), '{}');
    });

    it("refuses max_results out of MLflow's bounds and tokens it did not write", async () => {
      const refused: Array<Record<string, string>> = [
        { max_results: '0' },
        { max_results: '-1' },
        { max_results: String(2 ** 31) },
        { page_token: 'e30=' },
      ];
      for (const query of refused) {
        const response = await history({ metric_key: key, ...query });
        assert.equal(response.status, 400, JSON.stringify(query));
        assert.equal(((await response.json()) as { error_code: string }).error_code, 'INVALID_PARAMETER_VALUE');
      }
      const widest = await history({ metric_key: key, max_results: String(2 ** 31 - 1) });
      assert.equal(((await widest.json()) as { metrics: unknown[] }).metrics.length, points.length);
    });

    it('cuts the answer off unfinished when a later chunk fails, so it never parses as a shorter history', async () => {
      const failing = await serve({ ...runtime, db: failingAfterFirstChunk(runtime.db) });
      let at = failing.base;
      const closeFailing: Array<() => Promise<unknown>> = [() => failing.app.close()];
      if (shape.gateway) {
        const { gateway, base: gatewayBase } = await gatewayInFrontOf(failing.base);
        closeFailing.unshift(() => gateway.close());
        at = gatewayBase;
      }
      try {
        const streamed: Array<Record<string, string>> = [{}, { max_results: String(2 * HISTORY_CHUNK_POINTS) }];
        for (const query of streamed) {
          const response = await history({ metric_key: key, ...query }, at);
          assert.equal(response.status, 200, 'the first chunk was answered');
          await assert.rejects(response.text(), 'the body ends without its last chunk');
        }
        // An answer that one chunk holds is still answered whole.
        const page = await history({ metric_key: key, max_results: '10' }, at);
        assert.equal(((await page.json()) as { metrics: unknown[] }).metrics.length, 10);
      } finally {
        for (const close of closeFailing) await close();
      }
    });

    it('stores a point logged again once: repeated in its batch, in a batch sent again, or among new points', async () => {
      const { experiment_id } = await post('experiments/create', { name: `repeats-${Date.now()}` });
      const run = (await post('runs/create', { experiment_id })).run.info.run_id as string;
      const point = (step: number, value: number | 'NaN') => ({ key: 'acc', value, timestamp: 5_000 + step, step });
      const first = [point(1, 0.1), point(2, 'NaN'), point(3, -0)];
      const logBatch = (metrics: unknown[]) => post('runs/log-batch', { run_id: run, metrics });
      await logBatch(first);
      await logBatch(first); // a client's retry of a batch that was stored
      await logBatch([point(4, 0.4), point(4, 0.4), point(5, 0.5)]); // a step repeated within its batch
      await logBatch([point(3, -0), point(6, 0.6), point(3, 0.3)]); // a stored point among new ones
      await logBatch([point(7, 0.7), { ...point(2, 'NaN'), timestamp: 9_999 }]); // a new point at a stored step
      const answer = await fetch(
        `${base}/api/2.0/mlflow/metrics/get-history?${new URLSearchParams({ run_id: run, metric_key: 'acc' })}`,
      ).then((response) => response.json() as Promise<{ metrics: Array<{ step: number; value: unknown }> }>);
      assert.deepStrictEqual(
        answer.metrics.map(({ step, value }) => [step, value]),
        [
          [1, 0.1],
          [2, 'NaN'],
          [3, 0],
          [3, 0.3],
          [4, 0.4],
          [5, 0.5],
          [6, 0.6],
          [7, 0.7],
          [2, 'NaN'],
        ],
      );
    });
  });
}
