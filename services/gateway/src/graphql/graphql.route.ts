import { FastifyInstance, FastifyRequest } from 'fastify';
import { execute, GraphQLError, GraphQLScalarType, GraphQLSchema, Kind, parse, validate } from 'graphql';
import { answerFailuresInMlflowShape, invalidParameter, Logger, settleUnreadBody } from '@logbook/platform';
import { mlflowGraphqlSchema } from './mlflow-schema';
import { callOwnRestRoute, queryString } from '../own-rest-routes';
import { querySafetyError, QueryLimits } from './query-safety';
import { attachResolvers, GraphqlContext, protobufFieldResolver, RestCall, RestFailure } from './resolvers';

/** MLflow serves its GraphQL endpoint at the server's root only (no /ajax-api variant), by GET and POST. */
export const GRAPHQL_PATH = '/graphql';

/** MLflow's LongString: int64 as a decimal string, so JavaScript does not round it. */
function withLongStrings(schema: GraphQLSchema): GraphQLSchema {
  const longString = schema.getType('LongString') as GraphQLScalarType;
  Object.assign(longString, {
    serialize: (value: unknown) => String(value),
    parseValue: (value: unknown) => value,
    parseLiteral: (node: { kind: Kind; value?: string }) => (node.kind === Kind.INT ? node.value : null),
  });
  return schema;
}

/**
 * graphql-core, which MLflow runs, quotes names with single quotes where graphql-js uses double ones;
 * messages that come from a REST answer are passed on as they are.
 */
const errorMessage = (error: GraphQLError) =>
  error.originalError instanceof RestFailure ? error.message : error.message.replace(/"([^"\s]*)"/g, "'$1'");

interface GraphqlRequest {
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string;
}

/** MLflow answers 500 for these (it reads the body as one operation); Logbook answers 400. */
function graphqlRequest(body: unknown): GraphqlRequest {
  if (Array.isArray(body))
    throw invalidParameter('A GraphQL request is one operation; lists of operations are not supported');
  const request = (body ?? {}) as Record<string, unknown>;
  if (typeof request.query !== 'string') throw invalidParameter('A GraphQL request needs a "query" string');
  const { variables, operationName } = request;
  if (variables !== undefined && variables !== null && (typeof variables !== 'object' || Array.isArray(variables))) {
    throw invalidParameter('GraphQL "variables" must be an object');
  }
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') {
    throw invalidParameter('GraphQL "operationName" must be a string');
  }
  return {
    query: request.query,
    variables: (variables ?? undefined) as Record<string, unknown> | undefined,
    operationName: (operationName ?? undefined) as string | undefined,
  };
}

/**
 * A GET's operation from its query string, as GraphQL over HTTP puts it (`variables` as JSON). MLflow
 * reads a GET's JSON body, which Fastify does not parse for GET; a query string is what GET clients send.
 */
function fromQueryString(params: Record<string, unknown>): unknown {
  const { variables } = params;
  if (typeof variables !== 'string') return params;
  try {
    return { ...params, variables: JSON.parse(variables) as unknown };
  } catch {
    throw invalidParameter('GraphQL "variables" must be a JSON object');
  }
}

function parsed(query: string) {
  try {
    return parse(query);
  } catch (error) {
    throw invalidParameter((error as GraphQLError).message);
  }
}

/** Each field's REST call is the caller's own: authenticated and authorized as the caller. */
function restThroughGateway(fastify: FastifyInstance, request: FastifyRequest): RestCall {
  const caller = {
    host: request.headers.host,
    authorization: request.headers.authorization,
    requestId: String(request.id),
  };
  return async (method, path, input) => {
    const { status, body } = await callOwnRestRoute(
      fastify,
      caller,
      method === 'GET'
        ? { method, url: `${path}${queryString(input)}` }
        : { method, url: path, payload: JSON.stringify(input) },
    );
    return { status, body: (body ?? { message: `HTTP ${status}` }) as Record<string, unknown> };
  };
}

/** MLflow's POST/GET /graphql on the gateway, in both shapes. */
export async function registerGraphqlRoute(fastify: FastifyInstance, limits: QueryLimits, logger: Logger) {
  const schema = attachResolvers(withLongStrings(mlflowGraphqlSchema()));
  await fastify.register(async (scope) => {
    answerFailuresInMlflowShape(scope, logger, settleUnreadBody);
    scope.route({
      method: ['GET', 'POST'],
      url: GRAPHQL_PATH,
      handler: async (request, reply) => {
        const { query, variables, operationName } = graphqlRequest(
          request.method === 'GET' ? fromQueryString(request.query as Record<string, unknown>) : request.body,
        );
        const document = parsed(query);
        const refusal = querySafetyError(document, limits);
        let result: { data?: unknown; errors?: readonly GraphQLError[] };
        if (refusal) {
          result = { data: null, errors: [refusal] };
        } else {
          const validationErrors = validate(schema, document);
          result = validationErrors.length
            ? { data: null, errors: validationErrors }
            : await execute({
                schema,
                document,
                contextValue: { rest: restThroughGateway(fastify, request) } satisfies GraphqlContext,
                variableValues: variables,
                operationName,
                fieldResolver: protobufFieldResolver,
              });
        }
        // MLflow's answer: always 200, errors as bare messages. Serialised here: the app's serialiser
        // leaves out empty lists, as protobuf JSON does, where GraphQL keeps them.
        return reply
          .header('content-type', 'application/json')
          .send(JSON.stringify({ data: result.data ?? null, errors: result.errors?.map(errorMessage) ?? null }));
      },
    });
  });
}
