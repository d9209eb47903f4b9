import { Controller, Get, Module } from '@nestjs/common';
import { buildOpenApiDocument } from './openapi.document';

@Controller()
class OpenApiController {
  private readonly document = buildOpenApiDocument();

  @Get('openapi.json')
  openapi() {
    return this.document;
  }
}

/** Serves the OpenAPI document of the whole MLflow-compatible API at /openapi.json. */
@Module({ controllers: [OpenApiController] })
export class OpenApiModule {}
