import { Controller, DynamicModule, Get, Header, Inject, Module } from '@nestjs/common';
import { Authorize, Rules } from '@logbook/access';
import { JsonSchema } from '@logbook/platform';

/** The MLflow release whose REST API Logbook serves; clients gate some features on it (e.g. span logging ≥ 3.4). */
export const MLFLOW_API_VERSION = '3.17.2';

const API_DOCUMENT = Symbol('API_DOCUMENT');

// What the API is, for anyone signed in (MLflow's /version too).
@Authorize(Rules.signedIn())
@Controller()
class ApiInfoController {
  constructor(@Inject(API_DOCUMENT) private readonly document: JsonSchema) {}

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
@Module({})
export class ApiInfoModule {
  static with(document: JsonSchema): DynamicModule {
    return {
      module: ApiInfoModule,
      controllers: [ApiInfoController],
      providers: [{ provide: API_DOCUMENT, useValue: document }],
    };
  }
}
