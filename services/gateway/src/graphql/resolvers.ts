import {
  getNamedType,
  GraphQLEnumType,
  GraphQLError,
  GraphQLFieldResolver,
  GraphQLList,
  GraphQLObjectType,
  GraphQLScalarType,
  GraphQLSchema,
  isListType,
  isNonNullType,
} from 'graphql';

/** One call to the REST API the gateway serves; answers the status and the parsed JSON body. */
export type RestCall = (
  method: 'GET' | 'POST',
  path: string,
  input: Record<string, unknown>,
) => Promise<{ status: number; body: Record<string, unknown> }>;

/** A REST refusal, whose message becomes the GraphQL error as MLflow's resolvers pass it on. */
export class RestFailure extends Error {}

type Source = Record<string, unknown>;
type Input = Record<string, unknown> | undefined;

const snakeCase = (name: string) => name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);

/** The input's fields that were given, in the REST API's snake_case. */
const restInput = (input: Input): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(input ?? {})
      .filter(([, value]) => value !== null && value !== undefined)
      .map(([name, value]) => [snakeCase(name), value]),
  );

async function rest(call: RestCall, method: 'GET' | 'POST', path: string, input: Record<string, unknown>) {
  const { status, body } = await call(method, `/api/2.0/mlflow/${path}`, input);
  if (status !== 200) throw new RestFailure(typeof body.message === 'string' ? body.message : `HTTP ${status}`);
  return body;
}

/**
 * What MLflow answers for a field its protobuf message leaves unset: graphene reads the message's
 * attribute, which is the field's default (empty string, 0, false, the enum's first value, an empty
 * list or message), never null. Only ApiError, which no MLflow message carries, reads as null.
 */
function protobufDefault(type: unknown): unknown {
  if (isNonNullType(type)) return protobufDefault(type.ofType);
  if (isListType(type)) return [];
  const named = getNamedType(type as GraphQLList<GraphQLObjectType>);
  if (named instanceof GraphQLObjectType) return named.name === 'ApiError' ? null : {};
  if (named instanceof GraphQLEnumType) return named.getValues()[0].value;
  switch ((named as GraphQLScalarType).name) {
    case 'String':
      return '';
    case 'Boolean':
      return false;
    default:
      return 0;
  }
}

/** Reads a field from the REST answer (snake_case), or MLflow's default when it is left out. */
export const protobufFieldResolver: GraphQLFieldResolver<unknown, unknown> = (source, _args, _context, info) => {
  const value = (source as Source)[snakeCase(info.fieldName)];
  return value === undefined || value === null ? protobufDefault(info.returnType) : value;
};

/** MLflow's tracking store keeps ±Infinity as the largest finite double; a JSON number carries it. */
function finiteMetric(value: unknown): number {
  const number = typeof value === 'string' ? Number(value) : (value as number);
  if (number === Infinity) return Number.MAX_VALUE;
  if (number === -Infinity) return -Number.MAX_VALUE;
  return number;
}

/** Run data's metrics: MLflow's extension answers null for NaN. */
const metricValueOrNull: GraphQLFieldResolver<Source, unknown> = (source) => {
  const value = finiteMetric(source.value ?? 0);
  return Number.isNaN(value) ? null : value;
};

/** Other metric types are not extended: NaN fails the field with graphql-core's message, as in MLflow. */
const metricValueOrError: GraphQLFieldResolver<Source, unknown> = (source) => {
  const value = finiteMetric(source.value ?? 0);
  if (Number.isNaN(value)) throw new GraphQLError('Float cannot represent non numeric value: nan');
  return value;
};

/** What every resolver of a request reaches the REST API through. */
export interface GraphqlContext {
  rest: RestCall;
}

type Resolver = GraphQLFieldResolver<Source, GraphqlContext, Record<string, unknown>>;

/** A root field answered by one REST operation, its input passed as the operation's parameters. */
const restField =
  (method: 'GET' | 'POST', path: string): Resolver =>
  (_source, args, context) =>
    rest(context.rest, method, path, restInput(args.input as Input));

const echo: Resolver = (_source, args) => ({ output: args.inputString });

const runInfo = (run: Source) => (run.info ?? {}) as Source;

/** The resolvers of MLflow's schema, each answered by the REST API of the service that owns the data. */
export function attachResolvers(schema: GraphQLSchema): GraphQLSchema {
  const resolve = (typeName: string, resolvers: Record<string, Resolver>) => {
    const fields = (schema.getType(typeName) as GraphQLObjectType).getFields();
    for (const [name, resolver] of Object.entries(resolvers)) fields[name].resolve = resolver;
  };
  resolve('Query', {
    mlflowGetExperiment: restField('GET', 'experiments/get'),
    mlflowGetRun: restField('GET', 'runs/get'),
    mlflowGetMetricHistoryBulkInterval: restField('GET', 'metrics/get-history-bulk-interval'),
    mlflowListArtifacts: restField('GET', 'artifacts/list'),
    mlflowSearchModelVersions: restField('GET', 'model-versions/search'),
    mlflowSearchRuns: restField('POST', 'runs/search'),
    test: echo,
  });
  resolve('Mutation', {
    mlflowSearchDatasets: restField('POST', 'experiments/search-datasets'),
    mlflowSearchRuns: restField('POST', 'runs/search'),
    testMutation: echo,
  });
  resolve('MlflowRunExtension', {
    experiment: async (run, _args, context) =>
      (await rest(context.rest, 'GET', 'experiments/get', { experiment_id: runInfo(run).experiment_id ?? '' }))
        .experiment ?? {},
    modelVersions: async (run, _args, context) =>
      (
        await rest(context.rest, 'GET', 'model-versions/search', {
          filter: `run_id='${String(runInfo(run).run_id ?? '')}'`,
        })
      ).model_versions ?? [],
  });
  resolve('MlflowMetricExtension', { value: metricValueOrNull });
  resolve('MlflowMetricWithRunId', { value: metricValueOrError });
  resolve('MlflowModelMetric', { value: metricValueOrError });
  return schema;
}
