import { IsIn, IsNotEmpty, IsOptional, IsString, IsUrl, Matches, ValidateBy, ValidateIf } from 'class-validator';
import { loadConfig } from '@logbook/platform';
import { QueryLimits } from './graphql/query-safety';
import { isUiBuild, UiConfig } from './web-ui/ui-build';

/** The gateway's own settings; in the distributed shape it needs to know where each service is. */
export class GatewayEnvironment {
  @IsIn(['embedded', 'distributed'])
  LOGBOOK_MODE = 'embedded';

  @ValidateIf((env: GatewayEnvironment) => env.LOGBOOK_MODE === 'distributed')
  @IsUrl({ require_tld: false, protocols: ['http', 'https'] }, { message: 'TRACKING_URL must be an http(s) URL' })
  TRACKING_URL?: string;

  @ValidateIf((env: GatewayEnvironment) => env.LOGBOOK_MODE === 'distributed')
  @IsUrl({ require_tld: false, protocols: ['http', 'https'] }, { message: 'ARTIFACTS_URL must be an http(s) URL' })
  ARTIFACTS_URL?: string;

  @ValidateIf((env: GatewayEnvironment) => env.LOGBOOK_MODE === 'distributed')
  @IsUrl({ require_tld: false, protocols: ['http', 'https'] }, { message: 'REGISTRY_URL must be an http(s) URL' })
  REGISTRY_URL?: string;

  /** MLflow's own names for its GraphQL limits, which its refusals name too. */
  @Matches(/^[0-9]+$/, { message: 'MLFLOW_SERVER_GRAPHQL_MAX_ROOT_FIELDS must be a whole number' })
  MLFLOW_SERVER_GRAPHQL_MAX_ROOT_FIELDS = '10';

  @Matches(/^[0-9]+$/, { message: 'MLFLOW_SERVER_GRAPHQL_MAX_ALIASES must be a whole number' })
  MLFLOW_SERVER_GRAPHQL_MAX_ALIASES = '10';

  /** A folder holding MLflow's web UI build (mlflow/server/js/build); unset: the installed mlflow package's. */
  @IsOptional()
  @ValidateBy({
    name: 'isUiBuild',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && isUiBuild(value),
      defaultMessage: () =>
        "LOGBOOK_UI_DIR must be a folder holding MLflow's web UI build (index.html and static/), " +
        'such as <site-packages>/mlflow/server/js/build',
    },
  })
  LOGBOOK_UI_DIR?: string;

  /** The Python interpreter asked where the mlflow package is, when LOGBOOK_UI_DIR is unset. */
  @IsString()
  @IsNotEmpty()
  LOGBOOK_UI_PYTHON = 'python3';
}

export interface GatewayConfig {
  mode: 'embedded' | 'distributed';
  trackingUrl?: string;
  artifactsUrl?: string;
  registryUrl?: string;
  graphqlLimits: QueryLimits;
  ui: UiConfig;
}

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const raw = loadConfig('gateway', GatewayEnvironment, env);
  return {
    mode: raw.LOGBOOK_MODE as GatewayConfig['mode'],
    trackingUrl: raw.TRACKING_URL?.replace(/\/+$/, ''),
    artifactsUrl: raw.ARTIFACTS_URL?.replace(/\/+$/, ''),
    registryUrl: raw.REGISTRY_URL?.replace(/\/+$/, ''),
    graphqlLimits: {
      maxRootFields: Number(raw.MLFLOW_SERVER_GRAPHQL_MAX_ROOT_FIELDS),
      maxAliases: Number(raw.MLFLOW_SERVER_GRAPHQL_MAX_ALIASES),
    },
    ui: { dir: raw.LOGBOOK_UI_DIR, python: raw.LOGBOOK_UI_PYTHON },
  };
}
