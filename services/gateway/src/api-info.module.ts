import { Controller, Get, Header, Module } from '@nestjs/common';
import { buildOpenApiDocument } from './openapi.document';

/** The MLflow release whose REST API Logbook serves; clients gate some features on it (e.g. span logging ≥ 3.4). */
export const MLFLOW_API_VERSION = '3.17.2';

@Controller()
class ApiInfoController {
  private readonly document = buildOpenApiDocument();

  @Get('openapi.json')
  openapi() {
    return this.document;
  }

  @Get('version')
  @Header('content-type', 'text/plain')
  version(): string {
    return MLFLOW_API_VERSION;
  }
}

/** What the gateway says about the API itself: its OpenAPI document and MLflow's /version. */
@Module({ controllers: [ApiInfoController] })
export class ApiInfoModule {}
