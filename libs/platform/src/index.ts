/** The ground floor every lib and service builds on: configuration, database, errors, HTTP, logging, metrics. */
export {
  ACTOR_KINDS,
  Actor,
  ActorKind,
  ANONYMOUS,
  AUTH_METHODS,
  AuthMethod,
  ClientContext,
  CommandMetadata,
  storedActor,
  SYSTEM_METADATA,
  systemActor,
} from './command-metadata';
export {
  ConfigError,
  IntegerSetting,
  KafkaCluster,
  ServiceConfig,
  ServiceEnvironment,
  TopicSettings,
  loadConfig,
  serviceConfig,
} from './config';
export {
  DEFAULT_EMBEDDED_SHARED_BUFFERS_MB,
  DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS,
  Database,
  DatabaseSession,
  EMBEDDED_DURABILITIES,
  EmbeddedDurability,
  isUniqueViolation,
  parseInt8,
  PgliteDatabase,
  PostgresDatabase,
  Queryable,
  QueryResult,
  Transaction,
} from './database';
export {
  EMBEDDED_DATABASES,
  EMBEDDED_POSTGRES_LOG,
  EmbeddedDatabaseChoice,
  EmbeddedPostgresDatabase,
  openEmbeddedDatabase,
} from './embedded-postgres';
export { pythonFloat, pythonJson } from './http/python-json';
export { ErrorCode, MlflowError, alreadyExists, invalidParameter, notFound } from './errors';
export {
  KEY_NAME_PATTERN,
  invalidValueBecause,
  pythonNormpath,
  resolvesElsewhere,
  resolvesElsewhereReason,
  validateKeyName,
} from './mlflow-names';
export { RouteMethods, answerUnsupportedMethods, routeMethods } from './http/allowed-methods';
export { createHttpApp, httpAppOptions } from './http/app';
export { answerFailuresInMlflowShape, sendFailure } from './http/error-filter';
export { Answers, Documented, ERROR_SCHEMA, JsonSchema, RequiresOneOf, errorResponse } from './http/openapi-metadata';
export {
  OpenApiFragment,
  OpenApiLocation,
  OpenApiPaths,
  openApiFromControllers,
  takenFields,
} from './http/openapi-generator';
export { INT64_BOUND, integerStringPattern } from './http/openapi-schemas';
export { parseJsonBody } from './http/json-body';
export {
  PROTOBUF_MEDIA_TYPE,
  protobufContentType,
  protobufTypes,
  protoFileNames,
  protoFolder,
} from './http/protobuf-body';
export { restJson } from './http/rest-json';
export { bodyStream, declaredLength, settleUnreadBody } from './http/request-body';
export { RequestMeta, requestMetadata } from './http/request-context';
export {
  Authenticate,
  Authentication,
  isOpenPath,
  INTERNAL_PATH_PREFIX,
  NOT_AUTHENTICATED_MESSAGE,
  Principal,
  PRINCIPAL_HEADER,
  CLIENT_ADDRESS_HEADER,
  replyNotAuthenticated,
  requireCredentials,
  signPrincipal,
  verifyPrincipal,
} from './http/principal';
export { runMain, serve } from './http/serve';
export { RunningService, ServiceProcess, runServiceProcess } from './http/service-process';
export { AuthConfig, ServerConfig, SIGN_IN_METHODS, SignInMethod, loadServerConfig } from './http/server-config';
export {
  BooleanField,
  BulkField,
  DoubleField,
  EXACT_INTEGER,
  EnumField,
  IdField,
  IdListField,
  Int64Field,
  NestedField,
  NestedListField,
  StringField,
  StringListField,
  coerceDouble,
  coerceInt64,
  integerOutOfRange,
  invalidValue,
  isExactInteger,
  missingParameter,
  parseRequest,
} from './http/validation';
export { Logger, createLogger } from './logger';
export {
  RelayLag,
  consumerDeadLetters,
  consumerLagMessages,
  eventsAppended,
  metricsRegistry,
  relayPublishFailures,
  reportRelayLag,
} from './metrics';
export { MigrationQueries, SqlMigration, migrate } from './migrations';
export {
  DATABASE,
  ObservabilityModule,
  ReadinessCheck,
  databaseReadiness,
  statusReadiness,
} from './observability.module';
export { DependencyStatus, Outage, backoffDelay, waitForDatabase } from './retry';
