/**
 * MLflow's web UI on a running server, in headless Chromium: what a user sees on the pages data scientists
 * use (experiments, a run with its params and metric chart, run comparison, an artifact preview, the
 * registered models and a version's aliases), on data seeded through the REST API. Run by test/ui/run.sh
 * against a server given by URL: a Logbook shape or MLflow's own server (the suite holds on both).
 *
 *   LOGBOOK_UI_URL      the server (required)
 *   LOGBOOK_CHROMIUM    the browser, /usr/bin/chromium by default (Debian's package; nothing is downloaded)
 *   LOGBOOK_UI_OUTPUT   where screenshots (1280x800) and failing-requests.json go, .logbook/ui-test by default
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Browser, BrowserContext, chromium, Page } from 'playwright-core';

const baseUrl = (process.env.LOGBOOK_UI_URL ?? '').replace(/\/+$/, '');
const chromiumPath = process.env.LOGBOOK_CHROMIUM ?? '/usr/bin/chromium';
const outputDir = process.env.LOGBOOK_UI_OUTPUT ?? '.logbook/ui-test';

/** A page's data arrives after the bundle (4 MB) loads and its first queries answer. */
const PAGE_TIMEOUT_MS = 30_000;
const METRIC_STEPS = 100;

/**
 * Requests answered with an error that the UI takes in its stride. MLflow's own server fails the first
 * too: the UI asks for the signed-in user, which only MLflow's basic-auth app knows. The others are
 * MLflow's assistant, which runs coding agents on the server's host; Logbook does not offer it, and
 * without it the UI shows its assistant panel's welcome text.
 */
const EXPECTED_FAILURES = [
  'GET /ajax-api/2.0/mlflow/users/current 404',
  'GET /ajax-api/3.0/mlflow/assistant/config 404',
  'GET /ajax-api/3.0/mlflow/assistant/providers 404',
];

interface FailingRequest {
  page: string;
  method: string;
  path: string;
  status: number;
}

interface Seeded {
  experimentId: string;
  experimentName: string;
  runs: { id: string; name: string; learningRate: string; modelSource: string }[];
  modelName: string;
}

async function call<T = Record<string, any>>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  assert.ok(response.ok, `${method} ${path} answered ${response.status}: ${text}`);
  return (text ? JSON.parse(text) : {}) as T;
}

async function putArtifact(artifactUri: string, path: string, content: string) {
  const root = artifactUri.replace(/^mlflow-artifacts:\//, '');
  const response = await fetch(`${baseUrl}/api/2.0/mlflow-artifacts/artifacts/${root}/${path}`, {
    method: 'PUT',
    body: content,
  });
  assert.ok(response.ok, `uploading ${path} answered ${response.status}: ${await response.text()}`);
}

/** An experiment with two finished runs (params, a loss curve, a text file, a model), and a model with two versions. */
async function seed(): Promise<Seeded> {
  const suffix = randomUUID().slice(0, 8);
  const experimentName = `ui-experiment-${suffix}`;
  const { experiment_id: experimentId } = await call('POST', '/api/2.0/mlflow/experiments/create', {
    name: experimentName,
  });
  const runs: Seeded['runs'] = [];
  for (const [index, name] of ['brave-lion', 'calm-otter'].entries()) {
    const learningRate = String(0.01 * (index + 1));
    const { run } = await call('POST', '/api/2.0/mlflow/runs/create', {
      experiment_id: experimentId,
      run_name: name,
      start_time: Date.now() - 60_000,
    });
    const runId = run.info.run_id as string;
    const metrics = Array.from({ length: METRIC_STEPS }, (_, step) => ({
      key: 'loss',
      value: Math.exp(-step / (20 + 10 * index)),
      timestamp: Date.now(),
      step,
    }));
    await call('POST', '/api/2.0/mlflow/runs/log-batch', {
      run_id: runId,
      metrics,
      params: [
        { key: 'learning_rate', value: learningRate },
        { key: 'optimizer', value: 'adam' },
      ],
    });
    await putArtifact(run.info.artifact_uri, 'notes.txt', `Training notes for ${name}: the loss goes down.`);
    await putArtifact(
      run.info.artifact_uri,
      'model/MLmodel',
      `artifact_path: model\nflavors:\n  python_function:\n    loader_module: mlflow.pyfunc.model\nrun_id: ${runId}\n`,
    );
    await call('POST', '/api/2.0/mlflow/runs/update', { run_id: runId, status: 'FINISHED', end_time: Date.now() });
    runs.push({ id: runId, name, learningRate, modelSource: `${run.info.artifact_uri}/model` });
  }
  const modelName = `ui-model-${suffix}`;
  await call('POST', '/api/2.0/mlflow/registered-models/create', { name: modelName });
  for (const run of runs) {
    await call('POST', '/api/2.0/mlflow/model-versions/create', {
      name: modelName,
      source: run.modelSource,
      run_id: run.id,
    });
  }
  await call('POST', '/api/2.0/mlflow/registered-models/alias', { name: modelName, alias: 'champion', version: '2' });
  return { experimentId, experimentName, runs, modelName };
}

describe(`MLflow's web UI at ${baseUrl || '(LOGBOOK_UI_URL unset)'}`, () => {
  let browser: Browser;
  let context: BrowserContext;
  let seeded: Seeded;
  let currentPage = '';
  const failing: FailingRequest[] = [];

  before(async () => {
    assert.ok(baseUrl, 'LOGBOOK_UI_URL must name the server whose UI to test (test/ui/run.sh sets it)');
    assert.ok(
      existsSync(chromiumPath),
      `no Chromium at ${chromiumPath}: install Debian's package (apt-get install chromium) or set LOGBOOK_CHROMIUM`,
    );
    const landing = await fetch(`${baseUrl}/`).then((response) => response.text());
    assert.match(
      landing,
      /static-files\/static\/js\/main\.[0-9a-f]+\.js/,
      `${baseUrl}/ does not serve MLflow's UI build: start Logbook with LOGBOOK_UI_DIR set to one, ` +
        'or with the mlflow package installed (pip install mlflow==3.17.2)',
    );
    mkdirSync(outputDir, { recursive: true });
    seeded = await seed();
    browser = await chromium.launch({ executablePath: chromiumPath });
    context = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      // The assistant panel opens itself on a first visit and covers a third of every page.
      storageState: {
        cookies: [],
        origins: [
          {
            origin: new URL(baseUrl).origin,
            localStorage: [
              { name: 'mlflow.assistant.fab.autoOpenedOnFirstLoad_v1', value: 'true' },
              { name: 'mlflow.assistant.panelOpen_v1', value: 'false' },
            ],
          },
        ],
      },
    });
    context.on('response', (response) => {
      if (response.status() < 400) return;
      const url = new URL(response.url());
      failing.push({
        page: currentPage,
        method: response.request().method(),
        path: url.pathname,
        status: response.status(),
      });
    });
  });

  after(async () => {
    await browser?.close();
    if (seeded) writeFileSync(join(outputDir, 'failing-requests.json'), `${JSON.stringify(failing, null, 2)}\n`);
  });

  /** Opens a route of the UI (they all follow a `#`) and waits for the text that says its data arrived. */
  async function open(name: string, route: string, ...texts: string[]): Promise<Page> {
    currentPage = name;
    const page = await context.newPage();
    await page.goto(`${baseUrl}/#${route}`);
    for (const text of texts) {
      await page.getByText(text, { exact: true }).first().waitFor({ state: 'visible', timeout: PAGE_TIMEOUT_MS });
    }
    return page;
  }

  async function screenshot(page: Page, name: string) {
    await page.screenshot({ path: join(outputDir, `${name}.png`) });
    await page.close();
  }

  it('lists the experiments', async () => {
    const page = await open('experiments', '/experiments', seeded.experimentName, 'Default');
    await screenshot(page, 'experiments');
  });

  it("shows a run's params and metrics", async () => {
    const [run] = seeded.runs;
    const page = await open(
      'run',
      `/experiments/${seeded.experimentId}/runs/${run.id}`,
      run.name,
      'learning_rate',
      run.learningRate,
      'optimizer',
      'adam',
      'loss',
    );
    await screenshot(page, 'run');
  });

  it("draws a run's metric chart from its logged points", async () => {
    const [run] = seeded.runs;
    const page = await open('run metrics', `/experiments/${seeded.experimentId}/runs/${run.id}/model-metrics`, 'loss');
    const line = page.locator('.js-plotly-plot path.js-line').first();
    await line.waitFor({ state: 'visible', timeout: PAGE_TIMEOUT_MS });
    // The plotted line has a vertex per point plotly keeps after simplifying; steps 0-99 reach the axis' 80 tick.
    const vertices = ((await line.getAttribute('d')) ?? '').split(/[ML]/).filter(Boolean).length;
    assert.ok(vertices >= 10, `the loss line has ${vertices} vertices, expected the curve of ${METRIC_STEPS} steps`);
    await page.locator('.js-plotly-plot .xtick').getByText('80', { exact: true }).waitFor();
    await screenshot(page, 'run-metrics');
  });

  it('compares runs', async () => {
    const [first, second] = seeded.runs;
    const runs = encodeURIComponent(JSON.stringify(seeded.runs.map((run) => run.id)));
    const experiments = encodeURIComponent(JSON.stringify([seeded.experimentId]));
    const page = await open(
      'compare runs',
      `/compare-runs?runs=${runs}&experiments=${experiments}`,
      'Comparing 2 Runs from 1 Experiment',
      first.name,
      second.name,
    );
    const learningRates = page.getByRole('row').filter({ hasText: 'learning_rate' }).last();
    await learningRates.getByText(first.learningRate, { exact: true }).waitFor();
    await learningRates.getByText(second.learningRate, { exact: true }).waitFor();
    await page.locator('.js-plotly-plot').first().waitFor();
    await screenshot(page, 'compare-runs');
  });

  it("previews a run's text artifact", async () => {
    const [run] = seeded.runs;
    const page = await open(
      'artifact',
      `/experiments/${seeded.experimentId}/runs/${run.id}/artifacts/notes.txt`,
      `Training notes for ${run.name}: the loss goes down.`,
    );
    await screenshot(page, 'artifact');
  });

  it('lists the registered models with their aliases', async () => {
    const page = await open('models', '/models', seeded.modelName, 'Version 2');
    await page.getByRole('row').filter({ hasText: seeded.modelName }).getByText('champion').waitFor();
    await screenshot(page, 'models');
  });

  it("shows a model version's aliases and source run", async () => {
    const page = await open(
      'model version',
      `/models/${encodeURIComponent(seeded.modelName)}/versions/2`,
      'Version 2',
      'Aliases',
      seeded.runs[1].name,
    );
    await page.getByText('champion').first().waitFor();
    await screenshot(page, 'model-version');
  });

  it('answers the requests those pages made, as MLflow does', () => {
    const unexpected = failing.filter(
      (request) => !EXPECTED_FAILURES.includes(`${request.method} ${request.path} ${request.status}`),
    );
    assert.deepEqual(unexpected, [], 'requests the UI made that MLflow answers but this server did not');
  });
});
