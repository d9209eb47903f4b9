import { createReadStream, Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { lookup } from 'mime-types';

/** MLflow's max_age for the build's files: their names carry a content hash, so they never change. */
const STATIC_MAX_AGE_SECONDS = 2_419_200;

/** What `mlflow server` sends with every answer, the UI's included. */
const SECURITY_HEADERS = { 'x-content-type-options': 'nosniff', 'x-frame-options': 'SAMEORIGIN' };

export const UI_DISABLED_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Logbook</title></head>
<body>
<h1>Logbook</h1>
<p>Logbook serves MLflow's REST API at this address. MLflow's web UI is not enabled: the gateway found no UI build.</p>
<p>To enable it, either install MLflow's Python package where the gateway's Python finds it
(<code>pip install mlflow==3.17.2</code>; the interpreter is <code>LOGBOOK_UI_PYTHON</code>, <code>python3</code> by default),
or point <code>LOGBOOK_UI_DIR</code> at a UI build (the <code>mlflow/server/js/build</code> folder of an installed
<code>mlflow</code> package). Then restart Logbook.</p>
</body>
</html>
`;

/** As Flask (werkzeug) names types: text, and XML such as SVG, declare their charset. */
function contentType(path: string): string {
  const type = lookup(path) || 'application/octet-stream';
  return type.startsWith('text/') || type.endsWith('+xml') ? `${type}; charset=utf-8` : type;
}

const entityTag = (file: Stats) => `"${file.mtimeMs.toString(36)}-${file.size.toString(36)}"`;

/** RFC 9110's precedence: If-None-Match decides when sent, else If-Modified-Since (to the second). */
function notModified(request: FastifyRequest, file: Stats, tag: string): boolean {
  const ifNoneMatch = request.headers['if-none-match'];
  if (ifNoneMatch !== undefined) {
    return ifNoneMatch.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === tag);
  }
  const since = Date.parse(request.headers['if-modified-since'] ?? '');
  return !Number.isNaN(since) && Math.floor(file.mtimeMs / 1000) * 1000 <= since;
}

/** One of the build's files, or Fastify's not-found answer for anything that is not a file inside it. */
async function sendBuildFile(
  request: FastifyRequest,
  reply: FastifyReply,
  dir: string,
  relative: string,
  cacheControl: string,
) {
  const path = resolve(dir, relative);
  const file = path.startsWith(dir + sep) ? await stat(path).catch(() => undefined) : undefined;
  if (!file?.isFile()) return reply.callNotFound();
  const tag = entityTag(file);
  void reply.headers({
    ...SECURITY_HEADERS,
    'content-type': contentType(path),
    'cache-control': cacheControl,
    etag: tag,
    'last-modified': file.mtime.toUTCString(),
  });
  if (cacheControl !== 'no-cache') {
    void reply.header('expires', new Date(Date.now() + STATIC_MAX_AGE_SECONDS * 1000).toUTCString());
  }
  if (notModified(request, file, tag)) return reply.code(304).send();
  return reply.header('content-length', file.size).send(createReadStream(path));
}

/**
 * MLflow's web UI at the paths `mlflow server` serves it: the landing page at `/` (revalidated on every
 * load) and the build's files under /static-files/ (cached for four weeks). The UI routes everything
 * else after a `#`, so no other path needs the landing page. Without a build, `/` says how to get one.
 */
export function registerWebUi(fastify: FastifyInstance, buildDir: string | undefined): void {
  if (buildDir === undefined) {
    fastify.get('/', async (_request, reply) =>
      reply.headers(SECURITY_HEADERS).type('text/html; charset=utf-8').send(UI_DISABLED_PAGE),
    );
    return;
  }
  const dir = resolve(buildDir);
  fastify.get('/', (request, reply) => sendBuildFile(request, reply, dir, 'index.html', 'no-cache'));
  fastify.get<{ Params: { '*': string } }>('/static-files/*', (request, reply) =>
    sendBuildFile(request, reply, dir, request.params['*'], `public, max-age=${STATIC_MAX_AGE_SECONDS}`),
  );
}
