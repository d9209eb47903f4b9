import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  ACCESS_RULES,
  AccessRule,
  AuthorizationGuard,
  Authorize,
  EVERYTHING_READABLE,
  isReadable,
  permissionDenied,
  Rules,
} from '@logbook/access';
import {
  answerFailuresInMlflowShape,
  bodyStream,
  declaredLength,
  invalidParameter,
  Logger,
  MlflowError,
  requestMetadata,
  sendFailure,
  settleUnreadBody,
} from '@logbook/platform';
import { ARTIFACT_PREFIXES, OWNER_ARTIFACT_ROUTES, SERVER_INFO_ROUTES, TRANSFER_OFFLOAD } from '@logbook/transfers';
import { invalidPath, resolveArtifactPath, resolveListPrefix } from '@logbook/artifact-paths';
import { artifactPathRules, experimentFolder, loggedModelReadRules, runRules } from './access/artifact-access';
import {
  baseUrl,
  checkedDirectory,
  contentDisposition,
  jsonBody,
  parseRange,
  query,
  rawPathAfter,
  uploadTarget,
} from './artifact-requests';
import {
  AbortMultipartUploadDto,
  CompleteMultipartUploadDto,
  CreateMultipartUploadDto,
  ListArtifactsQueryDto,
  LoggedModelDirectoryQueryDto,
  LoggedModelFileQueryDto,
  RunArtifactQueryDto,
  RunArtifactsQueryDto,
  UploadArtifactQueryDto,
  UploadPartQueryDto,
} from './artifacts.dto';
import { servedContentType } from './content-type';
import { ArtifactOwner, Download, DownloadsService, encodedPath } from './downloads/downloads.service';
import { MultipartService } from './multipart/multipart.service';
import { ARTIFACTS_LOGGER } from './shared/tokens';
import { RangeNotSatisfiableError } from './storage/artifact-storage';
import { UploadsService } from './uploads/uploads.service';

/** The tracking API's listing of a run's artifacts, which the artifact store answers. */
export const RUN_LIST_ROUTES = ['/api/2.0/mlflow/artifacts/list', '/ajax-api/2.0/mlflow/artifacts/list'];

/** A run's folder in an experiment's folder (MLflow's _RUN_ID_SEGMENT_PATTERN). */
const RUN_FOLDER = /^[0-9a-f]{32}$/;

/** MLflow's limit for the UI's small-file upload. */
const MAX_UI_UPLOAD_BYTES = 10 * 1024 * 1024;

type RouteHandler = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
type Handler = (request: FastifyRequest, reply: FastifyReply, prefix: string) => Promise<unknown>;

const header = (request: FastifyRequest, name: string): string | undefined => {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
};

const offloadAsked = (request: FastifyRequest) => header(request, TRANSFER_OFFLOAD.accept) === TRANSFER_OFFLOAD.version;

/**
 * MLflow's artifact proxy routes. They are Fastify routes in a context of their own, not Nest routes, so
 * request bodies stay streams (an artifact may be a JSON file, or 5 GiB): nothing here buffers an upload.
 * No Nest guard sees them either: each handler's access rules (@Authorize, MLflow 3.17's validators) are
 * applied here, before the handler reads anything, by the access guard this process runs.
 */
@Injectable()
export class ArtifactsController {
  constructor(
    private readonly uploads: UploadsService,
    private readonly downloads: DownloadsService,
    private readonly multipart: MultipartService,
    @Inject(ARTIFACTS_LOGGER) private readonly logger: Logger,
    private readonly reflector: Reflector,
    /** Absent when this module runs without authorization (specs of the module alone). */
    @Optional() private readonly access?: AuthorizationGuard,
  ) {}

  async register(fastify: FastifyInstance): Promise<void> {
    // Not awaited: awaiting loads the plugin at once, ahead of Nest's MLflow error handler, whose answer
    // the JSON parser's errors on Nest's routes then lose. Fastify loads it before listening.
    void fastify.register(async (scope) => {
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
      answerFailuresInMlflowShape(scope, this.logger, settleUnreadBody);
      for (const prefix of ARTIFACT_PREFIXES) {
        scope.put(`${prefix}/artifacts/*`, this.answered(this.upload, prefix));
        scope.get(`${prefix}/artifacts/*`, this.answered(this.download, prefix));
        scope.get(`${prefix}/artifacts`, this.answered(this.list, prefix));
        scope.delete(`${prefix}/artifacts/*`, this.answered(this.delete, prefix));
        scope.post(`${prefix}/mpu/create/*`, this.answered(this.createMultipart, prefix));
        scope.put(`${prefix}/mpu/upload-part/*`, this.answered(this.uploadPart, prefix));
        scope.post(`${prefix}/mpu/complete/*`, this.answered(this.completeMultipart, prefix));
        scope.post(`${prefix}/mpu/abort/*`, this.answered(this.abortMultipart, prefix));
      }
      for (const path of SERVER_INFO_ROUTES) scope.get(path, this.answered(this.serverInfo));
      for (const path of RUN_LIST_ROUTES) scope.get(path, this.answered(this.listForRun));
      scope.get(OWNER_ARTIFACT_ROUTES.runFile, this.answered(this.runFile));
      scope.post(OWNER_ARTIFACT_ROUTES.runUpload, this.answered(this.runUpload));
      scope.get(OWNER_ARTIFACT_ROUTES.loggedModelFile, this.answered(this.loggedModelFile));
      for (const path of OWNER_ARTIFACT_ROUTES.loggedModelDirectories) {
        scope.get(path, this.answered(this.loggedModelDirectory));
      }
    });
  }

  /**
   * A handler as a route of `prefix` (MLflow's REST prefix or its UI's), authorized by its rules first,
   * and the one place a failure becomes an answer: 416 for a range past the end, MLflow's error shape
   * otherwise (403 PERMISSION_DENIED for a refusal, its body left unread).
   */
  private answered(handler: Handler, prefix = ''): RouteHandler {
    const rules = this.reflector.get<AccessRule[] | undefined>(ACCESS_RULES, handler);
    return async (request, reply) => {
      try {
        await this.authorize(request, rules);
        return await handler.call(this, request, reply, prefix);
      } catch (error) {
        if (error instanceof RangeNotSatisfiableError) {
          return reply.status(416).header('content-range', `bytes */${error.size}`).send();
        }
        return sendFailure(reply, error, this.logger, settleUnreadBody);
      }
    };
  }

  /** A request signed in with nothing here to decide on it is refused: no route is open by omission. */
  private async authorize(request: FastifyRequest, rules: AccessRule[] | undefined): Promise<void> {
    if (this.access) return this.access.authorize(request, rules);
    if (request.principal) throw permissionDenied();
  }

  /**
   * A multipart route is judged by its directory before its body is read (MLflow); the file its body
   * names is judged too, since a file named like a run's root is that run's, whatever the directory.
   */
  private authorizeTarget(request: FastifyRequest, path: string): Promise<void> {
    return this.authorize(request, artifactPathRules('update', path));
  }

  // The gateway's carried uploads (TRANSFER_OFFLOAD) come here too, bodiless, with the client's principal:
  // both the request for a presigned URL and the commit are judged by these rules.
  @Authorize(...artifactPathRules('update'))
  private async upload(request: FastifyRequest, reply: FastifyReply, prefix: string) {
    const rawPath = rawPathAfter(request, `${prefix}/artifacts/`);
    if (offloadAsked(request) && header(request, TRANSFER_OFFLOAD.length) !== undefined) {
      return this.offloadedUpload(request, reply, rawPath);
    }
    await this.uploads.upload(
      rawPath,
      bodyStream(request),
      { contentType: request.headers['content-type'], size: declaredLength(request) },
      requestMetadata(request),
    );
    return reply.send({});
  }

  /** An upload the gateway carries (TRANSFER_OFFLOAD): no body comes here, only its description before and after. */
  private async offloadedUpload(request: FastifyRequest, reply: FastifyReply, rawPath: string) {
    const size = Number(header(request, TRANSFER_OFFLOAD.length));
    if (!Number.isSafeInteger(size) || size < 0) throw invalidParameter('Invalid offloaded upload length');
    const sha256 = header(request, TRANSFER_OFFLOAD.sha256);
    if (sha256 === undefined) {
      const target = await this.uploads.prepareOffloaded(rawPath, size);
      if (!target) return reply.header(TRANSFER_OFFLOAD.declined, 'true').send({});
      return reply
        .header(TRANSFER_OFFLOAD.url, target.url)
        .header(TRANSFER_OFFLOAD.contentType, target.contentType)
        .send({});
    }
    await this.uploads.commitOffloaded(
      rawPath,
      { size, sha256, etag: header(request, TRANSFER_OFFLOAD.etag) ?? '' },
      request.headers['content-type'],
      requestMetadata(request),
    );
    return reply.send({});
  }

  @Authorize(...artifactPathRules('read'))
  private async download(request: FastifyRequest, reply: FastifyReply, prefix: string) {
    const rawPath = rawPathAfter(request, `${prefix}/artifacts/`);
    const object = await this.downloads.download(rawPath, parseRange(request.headers.range), {
      offloadAccepted: offloadAsked(request),
    });
    return this.sendDownload(reply, object);
  }

  /** A file's bytes (or where the gateway reads them), always as an attachment, as MLflow sends artifacts. */
  private sendDownload(reply: FastifyReply, object: Download) {
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
  }

  /**
   * The listing of an experiment's folder leaves out its runs' folders when the caller may not read the
   * experiment's runs (MLflow's filter_list_artifacts_proxy): Rules.listing says which they may.
   */
  @Authorize(...artifactPathRules('read'), Rules.listing('experiment', 'run'))
  private async list(request: FastifyRequest, reply: FastifyReply) {
    const path = query(request, ListArtifactsQueryDto).path;
    let entries = await this.downloads.list(path);
    const experimentId = experimentFolder(resolveListPrefix(path));
    if (experimentId !== undefined && !isReadable(request.readable?.experiment ?? EVERYTHING_READABLE, experimentId)) {
      entries = entries.filter((entry) => !RUN_FOLDER.test(entry.name));
    }
    if (entries.length === 0) return reply.send({});
    return reply.send({
      files: entries.map((e) => ({ path: e.name, is_dir: e.isDir, ...(e.size ? { file_size: e.size } : {}) })),
    });
  }

  @Authorize(...artifactPathRules('manage'))
  private async delete(request: FastifyRequest, reply: FastifyReply, prefix: string) {
    (request.body as Readable | undefined)?.resume?.();
    await this.uploads.delete(rawPathAfter(request, `${prefix}/artifacts/`), requestMetadata(request));
    return reply.send({});
  }

  @Authorize(...artifactPathRules('update'))
  private async createMultipart(request: FastifyRequest, reply: FastifyReply, prefix: string) {
    const directory = checkedDirectory(request, `${prefix}/mpu/create/`);
    const body = await jsonBody(request, CreateMultipartUploadDto);
    const path = uploadTarget(directory, body.path);
    await this.authorizeTarget(request, path);
    const partUrl = (partNumber: number, uploadId: string) =>
      `${baseUrl(request)}${prefix}/mpu/upload-part/${path}?upload_id=${encodeURIComponent(uploadId)}&part_number=${partNumber}`;
    return reply.send(await this.multipart.create(path, body.num_parts, partUrl));
  }

  @Authorize(...artifactPathRules('update'))
  private async uploadPart(request: FastifyRequest, reply: FastifyReply, prefix: string) {
    const part = query(request, UploadPartQueryDto);
    const { etag } = await this.multipart.uploadPart(
      rawPathAfter(request, `${prefix}/mpu/upload-part/`),
      part.upload_id,
      part.part_number,
      bodyStream(request),
    );
    return reply.header('etag', etag).send({});
  }

  @Authorize(...artifactPathRules('update'))
  private async completeMultipart(request: FastifyRequest, reply: FastifyReply, prefix: string) {
    const directory = checkedDirectory(request, `${prefix}/mpu/complete/`);
    const body = await jsonBody(request, CompleteMultipartUploadDto);
    const path = uploadTarget(directory, body.path);
    await this.authorizeTarget(request, path);
    await this.multipart.complete(
      path,
      body.upload_id,
      body.parts.map((part) => ({ partNumber: part.part_number, etag: part.etag })),
      requestMetadata(request),
    );
    return reply.send({});
  }

  @Authorize(...artifactPathRules('update'))
  private async abortMultipart(request: FastifyRequest, reply: FastifyReply, prefix: string) {
    const directory = checkedDirectory(request, `${prefix}/mpu/abort/`);
    const body = await jsonBody(request, AbortMultipartUploadDto);
    const path = uploadTarget(directory, body.path);
    await this.authorizeTarget(request, path);
    await this.multipart.abort(path, body.upload_id);
    return reply.send({});
  }

  /** An open path (no credentials needed); anyone signed in may ask too. */
  @Authorize(Rules.signedIn())
  private async serverInfo(_request: FastifyRequest, reply: FastifyReply) {
    return reply.send(this.multipart.serverInfo());
  }

  @Authorize(...runRules('read'))
  private async listForRun(request: FastifyRequest, reply: FastifyReply) {
    const dto = query(request, RunArtifactsQueryDto);
    return reply.send(await this.downloads.listForOwner({ kind: 'run', id: dto.runId }, dto.path));
  }

  @Authorize(...runRules('read'))
  private async runFile(request: FastifyRequest, reply: FastifyReply) {
    const dto = query(request, RunArtifactQueryDto);
    return this.sendDownload(reply, await this.ownerFile({ kind: 'run', id: dto.runId }, dto.path ?? ''));
  }

  /** A relative path checked as MLflow's validate_path_is_safe does, answering its 'Invalid path'. */
  private async ownerFile(owner: ArtifactOwner, path: string) {
    if (path.startsWith('/')) throw invalidPath();
    resolveArtifactPath(encodedPath(path));
    return this.downloads.downloadFromOwner(owner, path);
  }

  @Authorize(...loggedModelReadRules)
  private async loggedModelFile(request: FastifyRequest, reply: FastifyReply) {
    const { modelId } = request.params as { modelId: string };
    const path = query(request, LoggedModelFileQueryDto).artifact_file_path;
    if (!path) {
      throw new MlflowError('BAD_REQUEST', 'Request must include the "artifact_file_path" query parameter.');
    }
    return this.sendDownload(reply, await this.ownerFile({ kind: 'logged-model', id: modelId }, path));
  }

  @Authorize(...loggedModelReadRules)
  private async loggedModelDirectory(request: FastifyRequest, reply: FastifyReply) {
    const { modelId } = request.params as { modelId: string };
    const path = query(request, LoggedModelDirectoryQueryDto).artifact_directory_path;
    const listed = await this.downloads.listForOwner(
      { kind: 'logged-model', id: modelId },
      path === undefined ? undefined : encodedPath(path),
    );
    return reply.send(listed.files.length > 0 ? listed : { root_uri: listed.root_uri });
  }

  /** The UI's upload of one small file (up to 10 MB, read whole) into a run, with MLflow's checks in its order. */
  @Authorize(...runRules('update'))
  private async runUpload(request: FastifyRequest, reply: FastifyReply) {
    const dto = query(request, UploadArtifactQueryDto);
    if (!dto.run_uuid) throw invalidParameter('Request must specify run_uuid.');
    if (!dto.path) throw invalidParameter('Request must specify path.');
    if (dto.path.startsWith('/')) throw invalidPath();
    const relative = resolveArtifactPath(encodedPath(dto.path));
    const tooLarge = () => invalidParameter('Artifact size is too large. Max size is 10MB.');
    if ((declaredLength(request) ?? 0) > MAX_UI_UPLOAD_BYTES) throw tooLarge();
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of bodyStream(request)) {
      size += (chunk as Buffer).length;
      if (size > MAX_UI_UPLOAD_BYTES) throw tooLarge();
      chunks.push(chunk as Buffer);
    }
    if (size === 0) throw invalidParameter('Request must specify data.');
    const root = await this.downloads.ownerRoot({ kind: 'run', id: dto.run_uuid });
    await this.uploads.upload(
      `${root}/${encodedPath(relative)}`,
      Readable.from(chunks),
      { contentType: request.headers['content-type'], size },
      requestMetadata(request),
    );
    return reply.send({});
  }
}
