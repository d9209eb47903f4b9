import { Controller, Get, HttpStatus, Query, Redirect, Req } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { Authorize } from '@logbook/access';
import { resolveArtifactPath } from '@logbook/artifact-paths';
import { VersionRules } from '../shared/access';
import { mlflowRoutes } from '../shared/routes';
import { versionNumber } from './model-version.decider';
import { ModelVersionArtifactDto } from './model-versions.dto';
import { ModelVersionsQueries } from './model-versions.queries';

/** MLflow's UI reads a version's files at the server's root path; the REST prefixes take it too. */
export const MODEL_VERSION_ARTIFACT_ROOT = 'model-versions';

@Controller([...mlflowRoutes('model-versions'), MODEL_VERSION_ARTIFACT_ROOT])
export class ModelVersionArtifactsController {
  constructor(private readonly queries: ModelVersionsQueries) {}

  /**
   * One file of a version's model: a redirect to the file in the version's read-only registry copy,
   * which the artifact proxy streams (as an attachment, with its content type). The registry owns the
   * version and its state; the artifacts service owns the bytes.
   */
  @Get('get-artifact')
  @Redirect()
  @Authorize(...VersionRules.read())
  async artifact(@Query() dto: ModelVersionArtifactDto, @Req() request: FastifyRequest) {
    // MLflow checks the path before it looks the version up.
    const path = resolveArtifactPath(dto.path);
    const folder = await this.queries.registryCopy(dto.name, versionNumber(dto.name, dto.version));
    const prefix = request.url.startsWith('/ajax-api/') ? 'ajax-api' : 'api';
    const encoded = `${folder}/${path}`.split('/').map(encodeURIComponent).join('/');
    return { url: `/${prefix}/2.0/mlflow-artifacts/artifacts/${encoded}`, statusCode: HttpStatus.TEMPORARY_REDIRECT };
  }
}
