import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  CommandMetadata,
  ANONYMOUS,
  invalidParameter,
  answerFailuresInMlflowShape,
  sendFailure,
  Logger,
  bodyStream,
  declaredLength,
  settleUnreadBody,
  TRANSFER_OFFLOAD,
} from '@logbook/platform';
import { resolveListPrefix } from '@logbook/artifact-paths';
import { ArtifactsService } from './artifacts.service';
import { servedContentType } from './content-type';
import { ObjectRange, RangeNotSatisfiableError } from './storage/artifact-storage';

export const ARTIFACT_PREFIXES = ['/api/2.0/mlflow-artifacts', '/ajax-api/2.0/mlflow-artifacts'];
/** The only routes that take part in TRANSFER_OFFLOAD: a file's PUT and GET. */
export const OFFLOADABLE_PREFIXES = ARTIFACT_PREFIXES.map((prefix) => `${prefix}/artifacts/`);
export const RUN_LIST_ROUTES = ['/api/2.0/mlflow/artifacts/list', '/ajax-api/2.0/mlflow/artifacts/list'];
export const SERVER_INFO_ROUTES = ['/api/3.0/mlflow/server-info', '/ajax-api/3.0/mlflow/server-info'];
const JSON_LIMIT = 1024 * 1024;

const offloadAsked = (request: FastifyRequest) => request.headers[TRANSFER_OFFLOAD.accept] === TRANSFER_OFFLOAD.version;

const metadataOf = (request: FastifyRequest): CommandMetadata => ({
  now: Date.now(),
  actor: ANONYMOUS,
  requestId: String(request.id),
});

/** The artifact path exactly as sent (still percent-encoded), so that encoded traversal is judged, not decoded away. */
function rawPathAfter(request: FastifyRequest, marker: string): string {
  const url = request.raw.url ?? '';
  const pathOnly = url.split('?')[0];
  const at = pathOnly.indexOf(marker);
  return at < 0 ? '' : pathOnly.slice(at + marker.length);
}

async function readJson(stream: Readable): Promise<Record<string, unknown>> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > JSON_LIMIT) throw invalidParameter('Request body exceeds the size limit');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // answered below, like any body that is not a JSON object
  }
  throw invalidParameter('Malformed JSON body: expected a JSON object');
}

/** `bytes=a-b`, `bytes=a-` and `bytes=-n` (the last n bytes); anything else serves the whole object. */
function parseRange(header: string | undefined): ObjectRange | { suffix: number } | undefined {
  const match = header?.match(/^bytes=(\d*)-(\d*)$/);
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (match[1] === '') return { suffix: Number(match[2]) };
  return { start: Number(match[1]), ...(match[2] !== '' ? { end: Number(match[2]) } : {}) };
}

/** `filename=` as MLflow (Werkzeug) writes it: bare when safe, quoted otherwise, RFC 5987 for non-ASCII. */
function contentDisposition(name: string): string {
  if (/^[\w.-]+$/.test(name)) return `attachment; filename=${name}`;
  if (/^[\x20-\x7e]*$/.test(name)) return `attachment; filename="${name.replace(/[\\"]/g, '\\$&')}"`;
  const ascii =
    name
      .normalize('NFKD')
      .replace(/[^\x20-\x7e]/g, '')
      .trim() || 'download';
  const quoted = /^[\w.-]+$/.test(ascii) ? ascii : `"${ascii.replace(/[\\"]/g, '\\$&')}"`;
  return `attachment; filename=${quoted}; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/** The directory of a multipart route, judged before its body is read, as MLflow does. */
function checkedDirectory(raw: string): string {
  resolveListPrefix(raw);
  return raw;
}

const isPart = (part: unknown): part is { part_number?: unknown; etag?: unknown } =>
  typeof part === 'object' && part !== null && !Array.isArray(part);

/** Multipart routes name the directory; the file's name is the basename of the client's local `path`. */
function uploadTarget(directory: string, body: Record<string, unknown>): string {
  if (typeof body.path !== 'string' || body.path === '')
    throw invalidParameter("Missing value for required parameter 'path'");
  const name = posix.basename(body.path.replace(/\\/g, '/'));
  return directory ? `${directory.replace(/\/+$/, '')}/${encodeURIComponent(name)}` : encodeURIComponent(name);
}

function sendError(reply: FastifyReply, error: unknown, logger: Logger) {
  return sendFailure(reply, error, logger, settleUnreadBody);
}

function baseUrl(request: FastifyRequest): string {
  const host = (request.headers['x-forwarded-host'] as string | undefined) ?? request.headers.host ?? '127.0.0.1';
  const proto = (request.headers['x-forwarded-proto'] as string | undefined) ?? 'http';
  return `${proto}://${host}`;
}

/**
 * MLflow's artifact proxy routes. They live in their own Fastify context so request bodies stay
 * streams (an artifact may be a JSON file, or 5 GiB): nothing here buffers an upload.
 */
export async function registerArtifactRoutes(
  fastify: FastifyInstance,
  service: ArtifactsService,
  logger: Logger,
): Promise<void> {
  await fastify.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    answerFailuresInMlflowShape(scope, logger, settleUnreadBody);

    /** An upload the gateway carries: no body comes here, only its description before and after. */
    async function answerOffloadedUpload(request: FastifyRequest, reply: FastifyReply, rawPath: string) {
      const header = (name: string) => {
        const value = request.headers[name];
        return typeof value === 'string' ? value : undefined;
      };
      const size = Number(header(TRANSFER_OFFLOAD.length));
      if (!Number.isSafeInteger(size) || size < 0) throw invalidParameter('Invalid offloaded upload length');
      const sha256 = header(TRANSFER_OFFLOAD.sha256);
      if (sha256 === undefined) {
        const target = await service.prepareOffloadedUpload(rawPath, size);
        if (!target) return reply.header(TRANSFER_OFFLOAD.declined, 'true').send({});
        return reply
          .header(TRANSFER_OFFLOAD.url, target.url)
          .header(TRANSFER_OFFLOAD.contentType, target.contentType)
          .send({});
      }
      await service.commitOffloadedUpload(
        rawPath,
        { size, sha256, etag: header(TRANSFER_OFFLOAD.etag) ?? '' },
        request.headers['content-type'],
        metadataOf(request),
      );
      return reply.send({});
    }

    for (const prefix of ARTIFACT_PREFIXES) {
      const marker = `${prefix}/artifacts/`;

      scope.put(`${prefix}/artifacts/*`, async (request, reply) => {
        try {
          if (offloadAsked(request) && request.headers[TRANSFER_OFFLOAD.length] !== undefined) {
            return await answerOffloadedUpload(request, reply, rawPathAfter(request, marker));
          }
          await service.upload(
            rawPathAfter(request, marker),
            bodyStream(request),
            { contentType: request.headers['content-type'], size: declaredLength(request) },
            metadataOf(request),
          );
          return reply.send({});
        } catch (error) {
          return sendError(reply, error, logger);
        }
      });

      scope.get(`${prefix}/artifacts/*`, async (request, reply) => {
        try {
          const object = await service.download(rawPathAfter(request, marker), parseRange(request.headers.range), {
            offloadAccepted: offloadAsked(request),
          });
          const name = posix.basename(object.path);
          void reply
            .header('content-type', servedContentType(name))
            .header('content-disposition', contentDisposition(name))
            .header('x-content-type-options', 'nosniff')
            .header('accept-ranges', 'bytes');
          if (object.partial) {
            void reply.status(206).header('content-range', `bytes ${object.start}-${object.end}/${object.size}`);
          }
          if ('located' in object) {
            if (object.partial) void reply.header(TRANSFER_OFFLOAD.range, `bytes=${object.start}-${object.end}`);
            return reply
              .header(TRANSFER_OFFLOAD.url, object.located.url)
              .header(TRANSFER_OFFLOAD.etag, object.located.etag)
              .header(TRANSFER_OFFLOAD.length, String(object.contentLength))
              .header('content-length', '0')
              .send();
          }
          return reply.header('content-length', String(object.contentLength)).send(object.body);
        } catch (error) {
          if (error instanceof RangeNotSatisfiableError) {
            return reply.status(416).header('content-range', `bytes */${error.size}`).send();
          }
          return sendError(reply, error, logger);
        }
      });

      scope.get(`${prefix}/artifacts`, async (request, reply) => {
        try {
          const entries = await service.list((request.query as { path?: string }).path);
          if (entries.length === 0) return reply.send({});
          return reply.send({
            files: entries.map((e) => ({ path: e.name, is_dir: e.isDir, ...(e.size ? { file_size: e.size } : {}) })),
          });
        } catch (error) {
          return sendError(reply, error, logger);
        }
      });

      scope.delete(`${prefix}/artifacts/*`, async (request, reply) => {
        try {
          (request.body as Readable | undefined)?.resume?.();
          await service.delete(rawPathAfter(request, marker), metadataOf(request));
          return reply.send({});
        } catch (error) {
          return sendError(reply, error, logger);
        }
      });

      scope.post(`${prefix}/mpu/create/*`, async (request, reply) => {
        try {
          const directory = checkedDirectory(rawPathAfter(request, `${prefix}/mpu/create/`));
          const body = await readJson(bodyStream(request));
          const path = uploadTarget(directory, body);
          const partUrl = (partNumber: number, uploadId: string) =>
            `${baseUrl(request)}${prefix}/mpu/upload-part/${path}?upload_id=${encodeURIComponent(uploadId)}&part_number=${partNumber}`;
          return reply.send(await service.createMultipart(path, Number(body.num_parts), partUrl));
        } catch (error) {
          return sendError(reply, error, logger);
        }
      });

      scope.put(`${prefix}/mpu/upload-part/*`, async (request, reply) => {
        try {
          const query = request.query as { upload_id?: string; part_number?: string };
          if (!query.upload_id || !/^\d+$/.test(query.part_number ?? '')) {
            throw invalidParameter('upload_id and part_number are required');
          }
          const { etag } = await service.uploadPart(
            rawPathAfter(request, `${prefix}/mpu/upload-part/`),
            query.upload_id,
            Number(query.part_number),
            bodyStream(request),
          );
          return reply.header('etag', etag).send({});
        } catch (error) {
          return sendError(reply, error, logger);
        }
      });

      scope.post(`${prefix}/mpu/complete/*`, async (request, reply) => {
        try {
          const directory = checkedDirectory(rawPathAfter(request, `${prefix}/mpu/complete/`));
          const body = await readJson(bodyStream(request));
          const parts = Array.isArray(body.parts) ? (body.parts as unknown[]) : [];
          if (typeof body.upload_id !== 'string' || parts.length === 0) {
            throw invalidParameter('upload_id and a non-empty parts list are required');
          }
          if (!parts.every(isPart)) throw invalidParameter('Each part must be an object with part_number and etag');
          await service.completeMultipart(
            uploadTarget(directory, body),
            body.upload_id,
            parts.map((p) => ({ partNumber: Number(p.part_number), etag: String(p.etag ?? '') })),
            metadataOf(request),
          );
          return reply.send({});
        } catch (error) {
          return sendError(reply, error, logger);
        }
      });

      scope.post(`${prefix}/mpu/abort/*`, async (request, reply) => {
        try {
          const directory = checkedDirectory(rawPathAfter(request, `${prefix}/mpu/abort/`));
          const body = await readJson(bodyStream(request));
          if (typeof body.upload_id !== 'string') throw invalidParameter('upload_id is required');
          await service.abortMultipart(uploadTarget(directory, body), body.upload_id);
          return reply.send({});
        } catch (error) {
          return sendError(reply, error, logger);
        }
      });
    }

    for (const route of SERVER_INFO_ROUTES) scope.get(route, (_request, reply) => reply.send(service.serverInfo()));

    for (const route of RUN_LIST_ROUTES) {
      scope.get(route, async (request, reply) => {
        try {
          const query = request.query as { run_id?: string; run_uuid?: string; path?: string };
          const runId = query.run_id || query.run_uuid;
          if (!runId) {
            throw invalidParameter(
              "Missing value for required parameter 'run_id'. See the API docs for more information about request parameters.",
            );
          }
          return reply.send(await service.listForRun(runId, query.path));
        } catch (error) {
          return sendError(reply, error, logger);
        }
      });
    }
  });
}
