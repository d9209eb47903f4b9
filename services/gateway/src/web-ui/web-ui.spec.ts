import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Fastify, { FastifyInstance } from 'fastify';
import pino from 'pino';
import { loadGatewayConfig } from '../config';
import { locateUiBuild } from './ui-build';
import { registerWebUi, UI_DISABLED_PAGE } from './ui.routes';

const INDEX = '<!doctype html><script defer src="static-files/static/js/main.abc.js"></script>';

/** A folder shaped as MLflow's UI build, with a file beside it that must stay out of reach. */
function fakeBuild(root: string): string {
  const dir = join(root, 'build');
  mkdirSync(join(dir, 'static', 'js'), { recursive: true });
  writeFileSync(join(dir, 'index.html'), INDEX);
  writeFileSync(join(dir, 'static', 'js', 'main.abc.js'), 'console.log(1)');
  writeFileSync(join(dir, 'favicon.ico'), Buffer.from([0, 0, 1, 0]));
  writeFileSync(join(root, 'secret.txt'), 'not part of the build');
  return dir;
}

async function server(buildDir: string | undefined): Promise<FastifyInstance> {
  const fastify = Fastify();
  registerWebUi(fastify, buildDir);
  await fastify.ready();
  return fastify;
}

describe("the gateway's MLflow web UI", () => {
  const silent = pino({ level: 'silent' });
  let root: string;
  let build: string;
  let fastify: FastifyInstance;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'logbook-ui-'));
    build = fakeBuild(root);
    fastify = await server(build);
  });

  after(async () => {
    await fastify.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('serves the landing page at / for revalidation on every load, as mlflow server does', async () => {
    const response = await fastify.inject({ method: 'GET', url: '/' });
    assert.equal(response.statusCode, 200);
    assert.equal(response.body, INDEX);
    assert.equal(response.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(response.headers['cache-control'], 'no-cache');
    assert.equal(response.headers['x-frame-options'], 'SAMEORIGIN');
    assert.ok(response.headers.etag);
  });

  it("serves the build's files under /static-files/ with MLflow's four-week cache and content types", async () => {
    const script = await fastify.inject({ method: 'GET', url: '/static-files/static/js/main.abc.js' });
    assert.equal(script.statusCode, 200);
    assert.equal(script.body, 'console.log(1)');
    assert.equal(script.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(script.headers['cache-control'], 'public, max-age=2419200');
    assert.ok(Date.parse(String(script.headers.expires)) > Date.now() + 27 * 24 * 3600 * 1000);
    const icon = await fastify.inject({ method: 'GET', url: '/static-files/favicon.ico' });
    assert.equal(icon.headers['content-type'], 'image/vnd.microsoft.icon');
    assert.equal(icon.rawPayload.length, 4);
  });

  it('answers a revalidation of an unchanged file with 304', async () => {
    const first = await fastify.inject({ method: 'GET', url: '/' });
    const byTag = await fastify.inject({
      method: 'GET',
      url: '/',
      headers: { 'if-none-match': String(first.headers.etag) },
    });
    assert.equal(byTag.statusCode, 304);
    assert.equal(byTag.body, '');
    const byDate = await fastify.inject({
      method: 'GET',
      url: '/static-files/favicon.ico',
      headers: { 'if-modified-since': String(first.headers['last-modified']) },
    });
    assert.equal(byDate.statusCode, 304);
    const changed = await fastify.inject({ method: 'GET', url: '/', headers: { 'if-none-match': '"other"' } });
    assert.equal(changed.statusCode, 200);
  });

  it('answers 404 for anything that is not a file inside the build', async () => {
    for (const url of [
      '/static-files/missing.js',
      '/static-files/static',
      '/static-files/%2e%2e/secret.txt',
      '/static-files/..%2fsecret.txt',
      '/index.html',
      '/favicon.ico',
    ]) {
      assert.equal((await fastify.inject({ method: 'GET', url })).statusCode, 404, url);
    }
  });

  it('says at / how to enable the UI when there is no build', async () => {
    const without = await server(undefined);
    const response = await without.inject({ method: 'GET', url: '/' });
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(response.body, UI_DISABLED_PAGE);
    assert.match(response.body, /pip install mlflow==3\.17\.2/);
    assert.match(response.body, /LOGBOOK_UI_DIR/);
    assert.equal((await without.inject({ method: 'GET', url: '/static-files/favicon.ico' })).statusCode, 404);
    await without.close();
  });

  it('refuses at start a LOGBOOK_UI_DIR that is not a UI build, and takes one that is', () => {
    assert.throws(
      () => loadGatewayConfig({ LOGBOOK_UI_DIR: root }),
      /LOGBOOK_UI_DIR: LOGBOOK_UI_DIR must be a folder holding MLflow's web UI build/,
    );
    assert.equal(loadGatewayConfig({ LOGBOOK_UI_DIR: build }).ui.dir, build);
    assert.deepEqual(loadGatewayConfig({}).ui, { dir: undefined, python: 'python3' });
  });

  it("finds the installed mlflow package's build through Python, without importing mlflow", async () => {
    const sitePackages = join(root, 'site-packages');
    const packageBuild = fakeBuild(join(sitePackages, 'mlflow', 'server', 'js'));
    // Importing this package would fail: find_spec must not.
    writeFileSync(join(sitePackages, 'mlflow', '__init__.py'), 'raise ImportError("imported")');
    const pythonPath = process.env.PYTHONPATH;
    process.env.PYTHONPATH = sitePackages;
    try {
      assert.equal(await locateUiBuild({ python: 'python3' }, silent), packageBuild);
    } finally {
      if (pythonPath === undefined) delete process.env.PYTHONPATH;
      else process.env.PYTHONPATH = pythonPath;
    }
  });

  it('serves no UI when the Python cannot be run or has no mlflow package', async () => {
    assert.equal(await locateUiBuild({ python: join(root, 'no-such-python') }, silent), undefined);
    const pythonPath = process.env.PYTHONPATH;
    process.env.PYTHONPATH = join(root, 'empty');
    try {
      const found = await locateUiBuild({ python: 'python3' }, silent);
      // The machine's own python3 may have mlflow installed; then it is that package's build.
      assert.ok(found === undefined || found.endsWith(join('mlflow', 'server', 'js', 'build')));
    } finally {
      if (pythonPath === undefined) delete process.env.PYTHONPATH;
      else process.env.PYTHONPATH = pythonPath;
    }
  });
});
