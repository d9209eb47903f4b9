import { errorResponse, ERROR_SCHEMA, JsonSchema, OpenApiFragment } from '@logbook/platform';
import { GRAPHQL_PATH } from './graphql.route';

const text: JsonSchema = { type: 'string' };

const ANSWERS: Record<string, JsonSchema> = {
  '200': {
    description: 'The result: `data` and `errors` (bare messages), either of them null',
    content: {
      'application/json': {
        schema: {
          type: 'object',
          required: ['data', 'errors'],
          properties: {
            data: { type: 'object', nullable: true },
            errors: { type: 'array', nullable: true, items: text },
          },
        },
      },
    },
  },
  '400': errorResponse(400, 'Not one operation, no query string, or a query that does not parse'),
  '403': errorResponse(403, 'Host header outside the allowed hosts'),
};

/** MLflow's GraphQL endpoint for the OpenAPI document: one operation per request, always 200 once parsed. */
export const graphqlOpenApi = (): OpenApiFragment => ({
  paths: {
    [GRAPHQL_PATH]: {
      post: {
        operationId: 'Graphql_execute',
        description:
          "MLflow's GraphQL schema (runs, experiments, metric history, model versions). Errors in a parsed " +
          'query are answered 200 in `errors`.',
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['query'],
                properties: {
                  query: text,
                  operationName: { type: 'string', nullable: true },
                  variables: { type: 'object', nullable: true },
                },
              },
            },
          },
        },
        responses: ANSWERS,
      },
      get: {
        operationId: 'Graphql_executeByGet',
        description: 'The same operation in the query string, as GraphQL over HTTP puts it.',
        parameters: [
          { name: 'query', in: 'query', required: true, schema: text },
          { name: 'operationName', in: 'query', required: false, schema: text },
          { name: 'variables', in: 'query', required: false, description: 'A JSON object', schema: text },
        ],
        responses: ANSWERS,
      },
    },
  },
  components: { Error: ERROR_SCHEMA },
});
