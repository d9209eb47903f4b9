import { IsIn, isURL, IsNotEmpty, IsOptional, IsString, IsUrl, Matches, ValidateBy, ValidateIf } from 'class-validator';
import { IntegerSetting, loadConfig } from '@logbook/platform';
import { OidcSettings } from './authentication/oidc-verifier';
import { QueryLimits } from './graphql/query-safety';
import { UpstreamPoolOptions } from './upstream-pool';
import { isUiBuild, UiConfig } from './web-ui/ui-build';

const distributed = (env: GatewayEnvironment) => env.LOGBOOK_MODE === 'distributed';

/** One http(s) URL or several, comma-separated: the instances of one service. */
const IsUrlList = (name: string) =>
  ValidateBy({
    name: 'isUrlList',
    validator: {
      validate: (value: unknown) =>
        typeof value === 'string' &&
        value
          .split(',')
          .every((url) =>
            isURL(url.trim(), { require_tld: false, protocols: ['http', 'https'], require_protocol: true }),
          ),
      defaultMessage: () => `${name} must be an http(s) URL, or several separated by commas`,
    },
  });

/** The gateway's own settings; in the distributed shape it needs to know where each service is. */
export class GatewayEnvironment {
  @IsIn(['embedded', 'distributed'])
  LOGBOOK_MODE = 'embedded';

  /** The tracking service's instances: one URL (a load balancer's), or several, comma-separated. */
  @ValidateIf(distributed)
  @IsUrlList('TRACKING_URL')
  TRACKING_URL?: string;

  @ValidateIf(distributed)
  @IsUrlList('ARTIFACTS_URL')
  ARTIFACTS_URL?: string;

  @ValidateIf(distributed)
  @IsUrlList('REGISTRY_URL')
  REGISTRY_URL?: string;

  /** How often the gateway asks each service instance whether it is ready. */
  @IntegerSetting(100, 60_000)
  LOGBOOK_UPSTREAM_PROBE_INTERVAL_MS = 2000;

  @IntegerSetting(100, 60_000)
  LOGBOOK_UPSTREAM_PROBE_TIMEOUT_MS = 1000;

  /** `dns`: a service URL's host name stands for every address it resolves to (a headless Service's pods). */
  @IsIn(['off', 'dns'])
  LOGBOOK_UPSTREAM_DISCOVERY = 'off';

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

  /** Read here for whether OpenID Connect is on (validated with the server settings). */
  @IsOptional()
  @IsString()
  LOGBOOK_AUTH?: string;

  @ValidateIf(oidcOn)
  @IsUrl(
    { require_tld: false, protocols: ['http', 'https'], require_protocol: true },
    { message: "LOGBOOK_OIDC_ISSUER must be the provider's issuer URL when LOGBOOK_AUTH names oidc" },
  )
  LOGBOOK_OIDC_ISSUER?: string;

  @ValidateIf(oidcOn)
  @IsString({ message: 'LOGBOOK_OIDC_AUDIENCE must name the audience tokens carry when LOGBOOK_AUTH names oidc' })
  @IsNotEmpty({ message: 'LOGBOOK_OIDC_AUDIENCE must not be empty' })
  LOGBOOK_OIDC_AUDIENCE?: string;

  @IsString()
  @IsNotEmpty()
  LOGBOOK_OIDC_USERNAME_CLAIM = 'preferred_username';

  @IsString()
  @IsNotEmpty()
  LOGBOOK_OIDC_GROUPS_CLAIM = 'groups';

  /** Comma-separated groups whose members are admins. */
  @IsOptional()
  @IsString()
  LOGBOOK_OIDC_ADMIN_GROUPS?: string;

  @IntegerSetting(0, 600)
  LOGBOOK_OIDC_CLOCK_SKEW_S = 60;

  @IntegerSetting(0, 3_600_000)
  LOGBOOK_OIDC_JWKS_COOLDOWN_MS = 30_000;

  /** The gRPC endpoint's port, on the REST endpoint's host; 0 serves no gRPC. */
  @IntegerSetting(0, 65_535)
  GRPC_PORT = 50051;

  /** How long a shutdown lets gRPC calls in flight finish before it ends them. */
  @IntegerSetting(0, 600)
  LOGBOOK_GRPC_DRAIN_TIMEOUT_S = 10;
}

function oidcOn(env: GatewayEnvironment): boolean {
  return (env.LOGBOOK_AUTH ?? '').split(',').includes('oidc');
}

export interface GatewayConfig {
  mode: 'embedded' | 'distributed';
  /** Each service's instances (distributed shape). */
  upstreams?: { tracking: string[]; artifacts: string[]; registry: string[] };
  upstreamProbe: UpstreamPoolOptions;
  graphqlLimits: QueryLimits;
  ui: UiConfig;
  /** Set when LOGBOOK_AUTH names oidc. */
  oidc?: OidcSettings;
  /** Unset when GRPC_PORT is 0. */
  grpc?: { port: number; drainTimeoutMs: number };
}

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const raw = loadConfig('gateway', GatewayEnvironment, env);
  return {
    mode: raw.LOGBOOK_MODE as GatewayConfig['mode'],
    ...(raw.LOGBOOK_MODE === 'distributed'
      ? {
          upstreams: {
            tracking: urlList(raw.TRACKING_URL),
            artifacts: urlList(raw.ARTIFACTS_URL),
            registry: urlList(raw.REGISTRY_URL),
          },
        }
      : {}),
    upstreamProbe: {
      probeIntervalMs: raw.LOGBOOK_UPSTREAM_PROBE_INTERVAL_MS,
      probeTimeoutMs: raw.LOGBOOK_UPSTREAM_PROBE_TIMEOUT_MS,
      discovery: raw.LOGBOOK_UPSTREAM_DISCOVERY as UpstreamPoolOptions['discovery'],
    },
    graphqlLimits: {
      maxRootFields: Number(raw.MLFLOW_SERVER_GRAPHQL_MAX_ROOT_FIELDS),
      maxAliases: Number(raw.MLFLOW_SERVER_GRAPHQL_MAX_ALIASES),
    },
    ui: { dir: raw.LOGBOOK_UI_DIR, python: raw.LOGBOOK_UI_PYTHON },
    ...(raw.GRPC_PORT
      ? { grpc: { port: raw.GRPC_PORT, drainTimeoutMs: raw.LOGBOOK_GRPC_DRAIN_TIMEOUT_S * 1000 } }
      : {}),
    ...(oidcOn(raw)
      ? {
          oidc: {
            issuer: raw.LOGBOOK_OIDC_ISSUER as string,
            audience: raw.LOGBOOK_OIDC_AUDIENCE as string,
            usernameClaim: raw.LOGBOOK_OIDC_USERNAME_CLAIM,
            groupsClaim: raw.LOGBOOK_OIDC_GROUPS_CLAIM,
            adminGroups: (raw.LOGBOOK_OIDC_ADMIN_GROUPS ?? '')
              .split(',')
              .map((group) => group.trim())
              .filter(Boolean),
            clockToleranceSeconds: raw.LOGBOOK_OIDC_CLOCK_SKEW_S,
            jwksCooldownMs: raw.LOGBOOK_OIDC_JWKS_COOLDOWN_MS,
          },
        }
      : {}),
  };
}

const urlList = (value: string | undefined) =>
  (value as string).split(',').map((url) => url.trim().replace(/\/+$/, ''));
