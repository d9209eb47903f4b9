import 'reflect-metadata';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Answer, fails, Method, ok } from './identity-fixtures';
import { startTrackingWithAccess, TrackingAccessApi } from './tracking-authorization-fixtures';

const denied = (answer: Answer) => fails(answer, 403, 'PERMISSION_DENIED', 'Permission denied');
const missing = (answer: Answer) => fails(answer, 404, 'RESOURCE_DOES_NOT_EXIST');

describe('tracking authorization: MLflow 3.17 permissions on every tracking route (default NO_PERMISSIONS)', () => {
  let api: TrackingAccessApi;
  /** `path` below /api/2.0/mlflow/ (or ajax-api, when it starts with `ajax:`). */
  const as =
    (who: string) =>
    (method: Method, path: string, input: { query?: Record<string, string | string[]>; body?: unknown } = {}) =>
      api.call(method, path.startsWith('ajax:') ? `ajax-api/2.0/mlflow/${path.slice(5)}` : `api/2.0/mlflow/${path}`, {
        as: who,
        ...input,
      });
  const owner = as('owner');
  const admin = as('admin');

  // What the owner made: experiment A (shared with others), B (private), D (to delete), P0..P6 (paging).
  let expA: string;
  let expB: string;
  let expD: string;
  let pages: string[];
  let runA: string;
  let runA2: string;
  let runA3: string;
  let runB: string;
  let modelA: string;
  let modelB: string;

  const createExperiment = async (who: ReturnType<typeof as>, name: string) =>
    ok(await who('POST', 'experiments/create', { body: { name } })).experiment_id as string;
  const createRun = async (who: ReturnType<typeof as>, experimentId: string, startTime: number) =>
    ok(await who('POST', 'runs/create', { body: { experiment_id: experimentId, start_time: startTime } })).run.info
      .run_id as string;
  const logLoss = async (who: ReturnType<typeof as>, runId: string) =>
    who('POST', 'runs/log-batch', {
      body: { run_id: runId, metrics: [{ key: 'loss', value: 0.5, timestamp: 10, step: 1 }] },
    });
  const createModel = async (who: ReturnType<typeof as>, experimentId: string) =>
    ok(await who('POST', 'logged-models', { body: { experiment_id: experimentId, name: 'model' } })).model.info
      .model_id as string;

  before(async () => {
    api = await startTrackingWithAccess('NO_PERMISSIONS');
    const users = [
      'owner',
      'stranger',
      'reader',
      'editor',
      'manager',
      'lister',
      'maker',
      'run-tier-denied',
      'run-tier-only',
      'all-but-b',
      'cascade-withheld',
    ];
    for (const user of users) await api.createUser(user);

    const tag = randomUUID().slice(0, 8);
    expA = await createExperiment(owner, `A-${tag}`);
    expB = await createExperiment(owner, `B-${tag}`);
    expD = await createExperiment(owner, `D-${tag}`);
    pages = [];
    for (let i = 0; i < 7; i++) pages.push(await createExperiment(owner, `page-${i}-${tag}`));
    runA = await createRun(owner, expA, 3000);
    runA2 = await createRun(owner, expA, 2000);
    runA3 = await createRun(owner, expA, 1000);
    runB = await createRun(owner, expB, 4000);
    for (const run of [runA, runB]) ok(await logLoss(owner, run));
    for (const [run, name] of [
      [runA, 'train-a'],
      [runB, 'train-b'],
    ]) {
      ok(
        await owner('POST', 'runs/log-inputs', {
          body: { run_id: run, datasets: [{ dataset: { name, digest: 'd1', source_type: 'local', source: 'x' } }] },
        }),
      );
    }
    modelA = await createModel(owner, expA);
    modelB = await createModel(owner, expB);

    // Every grant before its user's first request: a user's grants are reused for a few seconds.
    await api.grant('reader', 'experiment', expA, 'READ');
    await api.grant('reader', 'experiment', expD, 'READ');
    await api.grant('editor', 'experiment', expA, 'EDIT');
    await api.grant('editor', 'experiment', expD, 'EDIT');
    await api.grant('manager', 'experiment', expA, 'MANAGE');
    await api.grant('manager', 'experiment', expD, 'MANAGE');
    for (const i of [0, 1, 3, 4, 6]) await api.grant('lister', 'experiment', pages[i], 'READ');
    await api.grant('run-tier-denied', 'experiment', expA, 'READ');
    await api.grant('run-tier-denied', 'run', '*', 'DENY');
    await api.grant('run-tier-only', 'run', '*', 'EDIT');
    await api.grant('all-but-b', 'experiment', '*', 'READ');
    await api.grant('all-but-b', 'experiment', expB, 'DENY');
    await api.grant('cascade-withheld', 'experiment', expD, 'MANAGE');
    await api.grant('cascade-withheld', 'run', '*', 'EDIT');
  });

  after(async () => {
    await api.close();
  });

  describe('a user without any permission (default NO_PERMISSIONS)', () => {
    const stranger = as('stranger');

    it('is refused 403 PERMISSION_DENIED on every route of another user’s experiment, runs and models', async () => {
      // given experiment A, its runs and its model, all the owner's
      // when the stranger reads, writes or deletes any of them
      const attempts: Array<[string, () => Promise<Answer>]> = [
        ['experiments/get', () => stranger('GET', 'experiments/get', { query: { experiment_id: expA } })],
        [
          'experiments/get-by-name',
          async () =>
            stranger('GET', 'experiments/get-by-name', {
              query: {
                experiment_name: ok(await owner('GET', 'experiments/get', { query: { experiment_id: expA } }))
                  .experiment.name,
              },
            }),
        ],
        [
          'experiments/update',
          () => stranger('POST', 'experiments/update', { body: { experiment_id: expA, new_name: 'x' } }),
        ],
        [
          'experiments/set-experiment-tag',
          () =>
            stranger('POST', 'experiments/set-experiment-tag', { body: { experiment_id: expA, key: 'k', value: 'v' } }),
        ],
        [
          'experiments/delete-experiment-tag',
          () => stranger('POST', 'experiments/delete-experiment-tag', { body: { experiment_id: expA, key: 'k' } }),
        ],
        ['experiments/delete', () => stranger('POST', 'experiments/delete', { body: { experiment_id: expA } })],
        ['experiments/restore', () => stranger('POST', 'experiments/restore', { body: { experiment_id: expA } })],
        [
          'search-datasets',
          () => stranger('POST', 'ajax:experiments/search-datasets', { body: { experiment_ids: [expA] } }),
        ],
        ['runs/create', () => stranger('POST', 'runs/create', { body: { experiment_id: expA } })],
        ['runs/create in Default', () => stranger('POST', 'runs/create', { body: {} })],
        ['runs/get', () => stranger('GET', 'runs/get', { query: { run_id: runA } })],
        ['runs/get by run_uuid', () => stranger('GET', 'runs/get', { query: { run_uuid: runA } })],
        ['runs/update', () => stranger('POST', 'runs/update', { body: { run_id: runA, status: 'FINISHED' } })],
        ['runs/delete', () => stranger('POST', 'runs/delete', { body: { run_id: runA } })],
        ['runs/restore', () => stranger('POST', 'runs/restore', { body: { run_id: runA } })],
        [
          'runs/log-metric',
          () => stranger('POST', 'runs/log-metric', { body: { run_id: runA, key: 'm', value: 1, timestamp: 1 } }),
        ],
        [
          'runs/log-parameter',
          () => stranger('POST', 'runs/log-parameter', { body: { run_id: runA, key: 'p', value: '1' } }),
        ],
        ['runs/set-tag', () => stranger('POST', 'runs/set-tag', { body: { run_id: runA, key: 't', value: '1' } })],
        ['runs/delete-tag', () => stranger('POST', 'runs/delete-tag', { body: { run_id: runA, key: 't' } })],
        ['runs/log-batch', () => logLoss(stranger, runA)],
        [
          'runs/log-batch by run_uuid',
          () => stranger('POST', 'runs/log-batch', { body: { run_uuid: runA, params: [] } }),
        ],
        ['runs/log-inputs', () => stranger('POST', 'runs/log-inputs', { body: { run_id: runA, datasets: [] } })],
        ['runs/outputs', () => stranger('POST', 'runs/outputs', { body: { run_id: runA, models: [] } })],
        [
          'metrics/get-history',
          () => stranger('GET', 'metrics/get-history', { query: { run_id: runA, metric_key: 'loss' } }),
        ],
        [
          'metrics/get-history-bulk',
          () => stranger('GET', 'ajax:metrics/get-history-bulk', { query: { run_id: [runA], metric_key: 'loss' } }),
        ],
        [
          'metrics/get-history-bulk-interval',
          () =>
            stranger('GET', 'metrics/get-history-bulk-interval', { query: { run_ids: [runA], metric_key: 'loss' } }),
        ],
        ['logged-models create', () => stranger('POST', 'logged-models', { body: { experiment_id: expA } })],
        ['logged-models get', () => stranger('GET', `logged-models/${modelA}`)],
        [
          'logged-models finalize',
          () => stranger('PATCH', `logged-models/${modelA}`, { body: { status: 'LOGGED_MODEL_READY' } }),
        ],
        ['logged-models delete', () => stranger('DELETE', `logged-models/${modelA}`)],
        [
          'logged-models set tags',
          () => stranger('PATCH', `logged-models/${modelA}/tags`, { body: { tags: [{ key: 'k', value: 'v' }] } }),
        ],
        ['logged-models delete tag', () => stranger('DELETE', `logged-models/${modelA}/tags/k`)],
        [
          'logged-models params',
          () => stranger('POST', `logged-models/${modelA}/params`, { body: { params: [{ key: 'k', value: 'v' }] } }),
        ],
      ];
      // then each is refused, and nothing it names is changed
      for (const [route, attempt] of attempts) {
        const answer = await attempt();
        assert.equal(answer.status, 403, `${route}: ${answer.text}`);
        denied(answer);
      }
      const run = ok(await owner('GET', 'runs/get', { query: { run_id: runA } })).run;
      assert.equal(run.info.lifecycle_stage, 'active');
      assert.deepEqual(run.data.params ?? [], []);
    });

    it('sees none of it in a listing', async () => {
      const experiments = ok(await stranger('POST', 'experiments/search', { body: { max_results: 100 } }));
      assert.deepEqual(experiments.experiments ?? [], []);
      const runs = ok(await stranger('POST', 'runs/search', { body: { experiment_ids: [expA, expB] } }));
      assert.deepEqual(runs.runs ?? [], []);
      const models = ok(await stranger('POST', 'logged-models/search', { body: { experiment_ids: [expA, expB] } }));
      assert.deepEqual(models.models ?? [], []);
    });

    it('still gets the route’s own 404 for run, model and experiment names that name nothing', async () => {
      missing(await stranger('GET', 'runs/get', { query: { run_id: randomUUID().replace(/-/g, '') } }));
      missing(await logLoss(stranger, randomUUID().replace(/-/g, '')));
      // the route's own answer for a run that does not exist: no points
      assert.deepEqual(
        ok(await stranger('GET', 'metrics/get-history', { query: { run_id: 'nope', metric_key: 'loss' } })),
        {},
      );
      missing(await stranger('GET', 'experiments/get-by-name', { query: { experiment_name: `none-${randomUUID()}` } }));
      missing(await stranger('GET', `logged-models/m-${randomUUID().replace(/-/g, '')}`));
    });

    it('is refused an experiment id that names nothing, as MLflow (workspaces off) judges it by the default', async () => {
      denied(await stranger('GET', 'experiments/get', { query: { experiment_id: '987654321' } }));
      missing(await admin('GET', 'experiments/get', { query: { experiment_id: '987654321' } }));
    });
  });

  describe('READ on an experiment', () => {
    const reader = as('reader');

    it('can get and search the experiment, its runs, metrics, datasets and models', async () => {
      assert.equal(
        ok(await reader('GET', 'experiments/get', { query: { experiment_id: expA } })).experiment.experiment_id,
        expA,
      );
      assert.equal(ok(await reader('GET', 'runs/get', { query: { run_id: runA } })).run.info.run_id, runA);
      assert.equal(ok(await reader('GET', 'runs/get', { query: { run_uuid: runA } })).run.info.run_id, runA);
      assert.equal(
        ok(await reader('GET', 'metrics/get-history', { query: { run_id: runA, metric_key: 'loss' } })).metrics.length,
        1,
      );
      const bulk = ok(
        await reader('GET', 'ajax:metrics/get-history-bulk', { query: { run_id: [runA, runA2], metric_key: 'loss' } }),
      );
      assert.deepEqual(
        bulk.metrics.map((m: { run_id: string }) => m.run_id),
        [runA],
      );
      ok(await reader('GET', 'metrics/get-history-bulk-interval', { query: { run_ids: [runA], metric_key: 'loss' } }));
      const datasets = ok(
        await reader('POST', 'ajax:experiments/search-datasets', { body: { experiment_ids: [expA] } }),
      );
      assert.deepEqual(
        datasets.dataset_summaries.map((d: { name: string }) => d.name),
        ['train-a'],
      );
      assert.equal(ok(await reader('GET', `logged-models/${modelA}`)).model.info.model_id, modelA);
    });

    it('is refused the reads that name any experiment or run it may not read (MLflow asks READ on every one)', async () => {
      denied(await reader('POST', 'ajax:experiments/search-datasets', { body: { experiment_ids: [expA, expB] } }));
      denied(
        await reader('GET', 'ajax:metrics/get-history-bulk', { query: { run_id: [runA, runB], metric_key: 'loss' } }),
      );
      denied(
        await reader('GET', 'metrics/get-history-bulk-interval', {
          query: { run_ids: [runA, runB], metric_key: 'loss' },
        }),
      );
      denied(await reader('GET', 'runs/get', { query: { run_id: runB } }));
    });

    it('cannot log, update, create runs or models in it, nor delete', async () => {
      denied(await logLoss(reader, runA));
      denied(await reader('POST', 'runs/set-tag', { body: { run_id: runA, key: 't', value: 'v' } }));
      denied(await reader('POST', 'runs/create', { body: { experiment_id: expA } }));
      denied(
        await reader('POST', 'experiments/set-experiment-tag', { body: { experiment_id: expA, key: 'k', value: 'v' } }),
      );
      denied(await reader('POST', 'logged-models', { body: { experiment_id: expA } }));
      denied(await reader('PATCH', `logged-models/${modelA}`, { body: { status: 'LOGGED_MODEL_READY' } }));
      denied(await reader('POST', 'runs/delete', { body: { run_id: runA } }));
      denied(await reader('POST', 'experiments/delete', { body: { experiment_id: expA } }));
    });

    it('searches runs of the experiments asked for that it may read, dropping the others, with full pages', async () => {
      // given runs A (t=3000), A2 (2000), A3 (1000) in A and B (4000) in B, which the reader may not read
      const seen: string[] = [];
      let token: string | undefined;
      const pageSizes: number[] = [];
      do {
        const page = ok(
          await reader('POST', 'runs/search', {
            body: { experiment_ids: [expA, expB], max_results: 2, ...(token ? { page_token: token } : {}) },
          }),
        );
        pageSizes.push(page.runs.length);
        seen.push(...page.runs.map((r: { info: { run_id: string } }) => r.info.run_id));
        token = page.next_page_token;
      } while (token);
      assert.deepEqual(pageSizes, [2, 1]);
      assert.deepEqual(seen, [runA, runA2, runA3]);
      const byQuery = ok(
        await reader('GET', 'runs/search', { query: { experiment_ids: [expB, expA], max_results: '10' } }),
      );
      assert.deepEqual(
        byQuery.runs.map((r: { info: { run_id: string } }) => r.info.run_id),
        [runA, runA2, runA3],
      );
    });

    it('searches logged models of readable experiments only', async () => {
      const models = ok(await reader('POST', 'logged-models/search', { body: { experiment_ids: [expA, expB] } }));
      assert.deepEqual(
        models.models.map((m: { info: { model_id: string } }) => m.info.model_id),
        [modelA],
      );
    });
  });

  describe('EDIT on an experiment', () => {
    const editor = as('editor');

    it('can log to its runs, create runs and models, and update the experiment', async () => {
      ok(await logLoss(editor, runA));
      ok(await editor('POST', 'runs/log-parameter', { body: { run_id: runA2, key: 'lr', value: '0.1' } }));
      ok(await editor('POST', 'runs/set-tag', { body: { run_uuid: runA2, key: 'team', value: 'a' } }));
      ok(await editor('POST', 'runs/update', { body: { run_id: runA2, status: 'FINISHED' } }));
      const created = await createRun(editor, expA, 500);
      ok(await logLoss(editor, created));
      ok(
        await editor('POST', 'experiments/set-experiment-tag', { body: { experiment_id: expA, key: 'k', value: 'v' } }),
      );
      const model = await createModel(editor, expA);
      ok(await editor('PATCH', `logged-models/${model}`, { body: { status: 'LOGGED_MODEL_READY' } }));
      ok(await editor('PATCH', `logged-models/${model}/tags`, { body: { tags: [{ key: 'k', value: 'v' }] } }));
      ok(await editor('POST', `logged-models/${model}/params`, { body: { params: [{ key: 'p', value: '1' }] } }));
      // a metric on a model of the same experiment is a write it may make
      ok(
        await editor('POST', 'runs/log-batch', {
          body: { run_id: runA, metrics: [{ key: 'acc', value: 1, timestamp: 1, model_id: modelA }] },
        }),
      );
    });

    it('cannot write to a logged model, or from a source run, of an experiment it may not edit', async () => {
      denied(
        await editor('POST', 'runs/log-batch', {
          body: { run_id: runA, metrics: [{ key: 'acc', value: 1, timestamp: 1, model_id: modelB }] },
        }),
      );
      denied(
        await editor('POST', 'runs/log-metric', {
          body: { run_id: runA, key: 'acc', value: 1, timestamp: 1, model_id: modelB },
        }),
      );
      denied(await editor('POST', 'runs/log-inputs', { body: { run_id: runA, models: [{ model_id: modelB }] } }));
      denied(await editor('POST', 'runs/outputs', { body: { run_id: runA, models: [{ model_id: modelB, step: 0 }] } }));
      denied(await editor('POST', 'logged-models', { body: { experiment_id: expA, source_run_id: runB } }));
    });

    it('cannot delete runs, models, model tags or the experiment', async () => {
      denied(await editor('POST', 'runs/delete', { body: { run_id: runA3 } }));
      denied(await editor('POST', 'runs/restore', { body: { run_id: runA3 } }));
      denied(await editor('DELETE', `logged-models/${modelA}`));
      denied(await editor('DELETE', `logged-models/${modelA}/tags/k`));
      denied(await editor('POST', 'experiments/delete', { body: { experiment_id: expD } }));
    });
  });

  describe('a token of a user, scoped READ', () => {
    const token = as('token:editor:READ');

    it('reads what its user may read but cannot write, even where its user may', async () => {
      ok(await token('GET', 'runs/get', { query: { run_id: runA } }));
      ok(await token('POST', 'runs/search', { body: { experiment_ids: [expA] } }));
      denied(await logLoss(token, runA));
      denied(await token('POST', 'runs/create', { body: { experiment_id: expA } }));
      denied(await token('POST', 'experiments/create', { body: { name: `token-${randomUUID()}` } }));
      // an EDIT-scoped token of the same user may log
      ok(await logLoss(as('token:editor:EDIT'), runA));
    });
  });

  describe('experiment search', () => {
    const lister = as('lister');

    it('shows only readable experiments, in full pages whose tokens lead to the rest (POST and GET)', async () => {
      // given READ on pages 0, 1, 3, 4 and 6 of seven, and nothing else
      const readable = [0, 1, 3, 4, 6].map((i) => pages[i]);
      for (const method of ['POST', 'GET'] as const) {
        const seen: string[] = [];
        const sizes: number[] = [];
        let token: string | undefined;
        do {
          const request = { max_results: 2, ...(token ? { page_token: token } : {}) };
          const page = ok(
            method === 'POST'
              ? await lister('POST', 'experiments/search', { body: request })
              : await lister('GET', 'experiments/search', {
                  query: Object.fromEntries(Object.entries(request).map(([k, v]) => [k, String(v)])),
                }),
          );
          sizes.push(page.experiments.length);
          seen.push(...page.experiments.map((e: { experiment_id: string }) => e.experiment_id));
          token = page.next_page_token;
        } while (token);
        // then: page 1 full, the token leads to the rest, nothing unreadable ever appears
        assert.deepEqual(sizes, [2, 2, 1], method);
        assert.deepEqual([...seen].sort(), [...readable].sort(), method);
      }
    });

    it('shows the admin everything', async () => {
      const all = ok(await admin('POST', 'experiments/search', { body: { max_results: 1000 } }));
      const ids = new Set(all.experiments.map((e: { experiment_id: string }) => e.experiment_id));
      for (const id of ['0', expA, expB, expD, ...pages]) assert.ok(ids.has(id), id);
    });
  });

  describe('creating an experiment', () => {
    const maker = as('maker');

    it('grants its creator MANAGE on it, and nobody else anything', async () => {
      const id = await createExperiment(maker, `made-${randomUUID()}`);
      assert.equal(await api.permissionOf('maker', 'experiment', id), 'MANAGE');
      denied(await as('stranger')('GET', 'experiments/get', { query: { experiment_id: id } }));
      ok(await maker('GET', 'experiments/get', { query: { experiment_id: id } }));
      const run = await createRun(maker, id, 1);
      ok(await logLoss(maker, run));
      ok(await maker('POST', 'runs/delete', { body: { run_id: run } }));
      ok(await maker('POST', 'experiments/delete', { body: { experiment_id: id } }));
      ok(await maker('POST', 'experiments/restore', { body: { experiment_id: id } }));
    });
  });

  describe('tiers under an experiment (MLflow’s tier override and experiment READ baseline)', () => {
    it('a DENY on the run tier withholds runs of a readable experiment', async () => {
      const user = as('run-tier-denied');
      ok(await user('GET', 'experiments/get', { query: { experiment_id: expA } }));
      denied(await user('GET', 'runs/get', { query: { run_id: runA } }));
      denied(await user('GET', 'metrics/get-history', { query: { run_id: runA, metric_key: 'loss' } }));
      assert.deepEqual(ok(await user('POST', 'runs/search', { body: { experiment_ids: [expA] } })).runs ?? [], []);
    });

    it('a grant on the run tier opens no run of an experiment its holder may not read', async () => {
      const user = as('run-tier-only');
      denied(await user('GET', 'runs/get', { query: { run_id: runA } }));
      denied(await logLoss(user, runA));
      assert.deepEqual(ok(await user('POST', 'runs/search', { body: { experiment_ids: [expA] } })).runs ?? [], []);
    });

    it('a DENY on one experiment holds however its id is spelled', async () => {
      const user = as('all-but-b');
      ok(await user('GET', 'experiments/get', { query: { experiment_id: expA } }));
      denied(await user('GET', 'experiments/get', { query: { experiment_id: expB } }));
      denied(await user('GET', 'experiments/get', { query: { experiment_id: `00${expB}` } }));
      denied(await user('POST', 'ajax:experiments/search-datasets', { body: { experiment_ids: [expA, `0${expB}`] } }));
      const runs = ok(
        await user('POST', 'runs/search', { body: { experiment_ids: [expA, `0${expB}`], max_results: 100 } }),
      );
      assert.ok(runs.runs.every((r: { info: { experiment_id: string } }) => r.info.experiment_id === expA));
      const experiments = ok(await user('POST', 'experiments/search', { body: { max_results: 1000 } }));
      const ids = experiments.experiments.map((e: { experiment_id: string }) => e.experiment_id);
      assert.ok(ids.includes(expA) && !ids.includes(expB));
    });

    it('deleting an experiment needs delete on every tier it reaches', async () => {
      // given MANAGE on D, but EDIT on the run tier, which cannot delete runs
      denied(await as('cascade-withheld')('POST', 'experiments/delete', { body: { experiment_id: expD } }));
    });
  });

  describe('MANAGE on an experiment', () => {
    const manager = as('manager');

    it('can delete and restore its runs, models and the experiment itself', async () => {
      ok(await manager('POST', 'runs/delete', { body: { run_id: runA3 } }));
      ok(await manager('POST', 'runs/restore', { body: { run_id: runA3 } }));
      const model = await createModel(manager, expA);
      ok(await manager('PATCH', `logged-models/${model}/tags`, { body: { tags: [{ key: 'k', value: 'v' }] } }));
      ok(await manager('DELETE', `logged-models/${model}/tags/k`));
      ok(await manager('DELETE', `logged-models/${model}`));
      ok(await manager('POST', 'experiments/delete', { body: { experiment_id: expD } }));
      ok(await manager('POST', 'experiments/restore', { body: { experiment_id: expD } }));
    });
  });

  describe('an admin', () => {
    it('can do everything on anyone’s experiment', async () => {
      ok(await admin('GET', 'experiments/get', { query: { experiment_id: expB } }));
      ok(await admin('GET', 'runs/get', { query: { run_id: runB } }));
      ok(await logLoss(admin, runB));
      ok(await admin('POST', 'ajax:experiments/search-datasets', { body: { experiment_ids: [expA, expB] } }));
      ok(await admin('GET', 'ajax:metrics/get-history-bulk', { query: { run_id: [runA, runB], metric_key: 'loss' } }));
      const runs = ok(await admin('POST', 'runs/search', { body: { experiment_ids: [expA, expB], max_results: 100 } }));
      assert.ok(runs.runs.some((r: { info: { run_id: string } }) => r.info.run_id === runB));
      ok(await admin('GET', `logged-models/${modelB}`));
      ok(await admin('POST', 'runs/delete', { body: { run_id: runB } }));
      ok(await admin('POST', 'experiments/delete', { body: { experiment_id: expB } }));
      ok(await admin('POST', 'experiments/restore', { body: { experiment_id: expB } }));
    });
  });

  describe('without authentication (no principal on the request)', () => {
    it('passes every route, as MLflow without its auth app does', async () => {
      const anonymous = (
        method: Method,
        path: string,
        input: { body?: unknown; query?: Record<string, string> } = {},
      ) => api.call(method, `api/2.0/mlflow/${path}`, input);
      ok(await anonymous('GET', 'runs/get', { query: { run_id: runB } }));
      const all = ok(await anonymous('POST', 'experiments/search', { body: { max_results: 1000 } }));
      assert.ok(all.experiments.length >= 11);
    });
  });
});
