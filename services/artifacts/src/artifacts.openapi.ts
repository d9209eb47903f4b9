/** The artifact proxy's routes for the gateway's OpenAPI document (they are Fastify routes, not Nest controllers). */
import { EVENT_FEED_WIRE_SCHEMAS } from '@logbook/messaging';
import { ERROR_SCHEMA, errorResponse, JsonSchema, OpenApiFragment, openApiFromControllers } from '@logbook/platform';
import { ARTIFACT_PREFIXES, OWNER_ARTIFACT_ROUTES, SERVER_INFO_ROUTES } from '@logbook/transfers';
import { RUN_LIST_ROUTES } from './artifacts.controller';
import { ARTIFACTS_CONTROLLERS } from './artifacts.module';
import { MAX_MULTIPART_PARTS } from './multipart/multipart.service';

type Operation = JsonSchema & { operationId: string; responses: Record<string, JsonSchema> };

/**
 * Artifact paths go through one gatekeeper (artifact-path.ts): traversal in any encoding, backslashes,
 * NUL, `;`, `#`, look-alike characters, absolute paths and URIs get 400 "Invalid path". Its rules
 * (percent-decoding to a fixed point, NFKC folding) are not expressible as a pattern.
 */
const PATH_RULES = 'A relative artifact path; unsafe paths (traversal, `\\`, `;`, `#`, NUL, look-alikes) get 400.';
const pathParameter = {
  name: 'path',
  in: 'path',
  required: true,
  description: PATH_RULES,
  schema: { type: 'string', minLength: 1 },
};
const refusals = {
  '400': errorResponse(400, 'Invalid path or input'),
  '403': errorResponse(403, 'Host header outside the allowed hosts'),
  '404': errorResponse(404, 'No run or logged model owns the path, or no such artifact'),
};
const writeRefusals = {
  ...refusals,
  '503': errorResponse(503, 'The artifact changed while it was written; retry'),
};
const json = (schema: JsonSchema) => ({ content: { 'application/json': { schema } } });
const ok = (description: string, schema: JsonSchema = { type: 'object' }) => ({ description, ...json(schema) });
const text: JsonSchema = { type: 'string' };
const requiredText: JsonSchema = { type: 'string', minLength: 1 };
const jsonBody = (properties: Record<string, JsonSchema>, required: string[]) => ({
  required: true,
  ...json({ type: 'object', properties, required }),
});
const bytes = { '*/*': { schema: { type: 'string', format: 'binary' } } };

const fileInfo = {
  type: 'object',
  properties: {
    path: { type: 'string' },
    is_dir: { type: 'boolean' },
    file_size: { type: 'integer', format: 'int64' },
  },
};

/** `Artifacts_upload` under MLflow's REST prefix, with a suffix under the UI's ajax prefix. */
const idFor = (name: string, prefix: string) => (prefix.startsWith('/ajax-api/') ? `${name}_ajax` : name);

function proxyPaths(prefix: string): Record<string, Record<string, Operation>> {
  return {
    [`${prefix}/artifacts/{path}`]: {
      put: {
        operationId: idFor('Artifacts_upload', prefix),
        parameters: [pathParameter],
        requestBody: { required: false, description: 'An empty body stores an empty file (or part)', content: bytes },
        responses: { '200': ok('Stored'), ...writeRefusals },
      },
      get: {
        operationId: idFor('Artifacts_download', prefix),
        parameters: [pathParameter, { name: 'Range', in: 'header', required: false, schema: text }],
        responses: {
          '200': { description: 'The bytes', content: bytes },
          '206': { description: 'The requested range', content: bytes },
          '416': { description: 'Range not satisfiable (no body; Content-Range names the size)' },
          ...refusals,
        },
      },
      delete: {
        operationId: idFor('Artifacts_delete', prefix),
        parameters: [pathParameter],
        responses: { '200': ok('Deleted'), ...writeRefusals },
      },
    },
    [`${prefix}/artifacts`]: {
      get: {
        operationId: idFor('Artifacts_list', prefix),
        parameters: [{ name: 'path', in: 'query', required: false, description: PATH_RULES, schema: text }],
        responses: {
          '200': ok('Immediate children of a directory ({} for a file or a missing path)', {
            type: 'object',
            properties: { files: { type: 'array', items: fileInfo } },
          }),
          '400': refusals['400'],
          '403': refusals['403'],
        },
      },
    },
    [`${prefix}/mpu/create/{path}`]: {
      post: {
        operationId: idFor('Artifacts_createMultipartUpload', prefix),
        parameters: [pathParameter],
        requestBody: jsonBody(
          {
            path: { ...requiredText, description: "The client's local file; its basename names the artifact" },
            num_parts: { type: 'integer', minimum: 1, maximum: MAX_MULTIPART_PARTS },
          },
          ['path', 'num_parts'],
        ),
        responses: {
          '200': ok('Upload id and one URL per part', {
            type: 'object',
            required: ['upload_id', 'credentials'],
            properties: {
              upload_id: text,
              credentials: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: { url: text, part_number: { type: 'integer' }, headers: { type: 'object' } },
                },
              },
            },
          }),
          ...writeRefusals,
        },
      },
    },
    [`${prefix}/mpu/upload-part/{path}`]: {
      put: {
        operationId: idFor('Artifacts_uploadPart', prefix),
        parameters: [
          pathParameter,
          { name: 'upload_id', in: 'query', required: true, schema: requiredText },
          {
            name: 'part_number',
            in: 'query',
            required: true,
            schema: { type: 'integer', minimum: 1, maximum: MAX_MULTIPART_PARTS },
          },
        ],
        requestBody: { required: false, description: 'An empty body stores an empty file (or part)', content: bytes },
        responses: { '200': ok('Stored; the ETag header names the part'), ...writeRefusals },
      },
    },
    [`${prefix}/mpu/complete/{path}`]: {
      post: {
        operationId: idFor('Artifacts_completeMultipartUpload', prefix),
        parameters: [pathParameter],
        requestBody: jsonBody(
          {
            path: requiredText,
            upload_id: requiredText,
            parts: {
              type: 'array',
              minItems: 1,
              items: {
                type: 'object',
                properties: { part_number: { type: 'integer' }, etag: requiredText },
                required: ['part_number', 'etag'],
              },
            },
          },
          ['path', 'upload_id', 'parts'],
        ),
        responses: { '200': ok('Completed'), ...writeRefusals },
      },
    },
    [`${prefix}/mpu/abort/{path}`]: {
      post: {
        operationId: idFor('Artifacts_abortMultipartUpload', prefix),
        parameters: [pathParameter],
        requestBody: jsonBody({ path: requiredText, upload_id: requiredText }, ['path', 'upload_id']),
        responses: { '200': ok('Aborted'), ...writeRefusals },
      },
    },
  };
}

const serverInfo = (route: string): Record<string, Record<string, Operation>> => ({
  [route]: {
    get: {
      operationId: idFor('ServerInfo_get', route),
      responses: {
        '200': ok('Capabilities, as MLflow publishes them', {
          type: 'object',
          properties: {
            store_type: text,
            workspaces_enabled: { type: 'boolean' },
            trace_archival_enabled: { type: 'boolean' },
            multipart_uploads_enabled: { type: 'boolean' },
            multipart_downloads_enabled: { type: 'boolean' },
            presigned_upload_run_id_supported: { type: 'boolean' },
            presigned_upload_model_id_supported: { type: 'boolean' },
            features_enabled: { type: 'object', additionalProperties: { type: 'boolean' } },
          },
        }),
        '403': refusals['403'],
      },
    },
  },
});

const runListing = (route: string): Record<string, Record<string, Operation>> => ({
  [route]: {
    get: {
      operationId: idFor('Artifacts_listForRun', route),
      parameters: [
        { name: 'run_id', in: 'query', required: true, schema: requiredText },
        { name: 'path', in: 'query', required: false, description: PATH_RULES, schema: text },
      ],
      responses: {
        '200': ok('Run-relative listing', {
          type: 'object',
          properties: { root_uri: text, files: { type: 'array', items: fileInfo } },
        }),
        ...refusals,
      },
    },
  },
});

/** Fastify's `:name` path parameters in OpenAPI's `{name}` form. */
const openApiPath = (route: string) => route.replace(/:(\w+)/g, '{$1}');
const modelIdParameter = { name: 'modelId', in: 'path', required: true, schema: requiredText };
const fileAnswers = {
  '200': { description: 'The bytes, as an attachment', content: bytes },
  ...refusals,
};

const ownerRoutes = (): Record<string, Record<string, Operation>> => ({
  [OWNER_ARTIFACT_ROUTES.runFile]: {
    get: {
      operationId: 'Artifacts_getForRun',
      description: "MLflow's legacy run-relative download, at the server's root.",
      parameters: [
        { name: 'run_id', in: 'query', required: true, schema: requiredText },
        { name: 'path', in: 'query', required: false, description: PATH_RULES, schema: text },
      ],
      responses: fileAnswers,
    },
  },
  [OWNER_ARTIFACT_ROUTES.runUpload]: {
    post: {
      operationId: 'Artifacts_uploadForRun_ajax',
      description: "The web UI's upload of one file of up to 10 MB into a run.",
      parameters: [
        { name: 'run_uuid', in: 'query', required: true, schema: requiredText },
        { name: 'path', in: 'query', required: true, description: PATH_RULES, schema: requiredText },
      ],
      requestBody: { required: true, content: bytes },
      responses: { '200': ok('Stored'), ...writeRefusals },
    },
  },
  [openApiPath(OWNER_ARTIFACT_ROUTES.loggedModelFile)]: {
    get: {
      operationId: 'LoggedModelArtifacts_getFile_ajax',
      parameters: [
        modelIdParameter,
        { name: 'artifact_file_path', in: 'query', required: true, description: PATH_RULES, schema: requiredText },
      ],
      responses: fileAnswers,
    },
  },
  ...Object.fromEntries(
    OWNER_ARTIFACT_ROUTES.loggedModelDirectories.map((route) => [
      openApiPath(route),
      {
        get: {
          operationId: idFor('LoggedModelArtifacts_listDirectory', route),
          parameters: [
            modelIdParameter,
            { name: 'artifact_directory_path', in: 'query', required: false, description: PATH_RULES, schema: text },
          ],
          responses: {
            '200': ok('Model-relative listing (no files key for an empty or missing directory)', {
              type: 'object',
              properties: { root_uri: text, files: { type: 'array', items: fileInfo } },
            }),
            ...refusals,
          },
        },
      },
    ]),
  ),
});

export const ARTIFACT_OPENAPI_PATHS: Record<string, Record<string, Operation>> = Object.assign(
  {},
  ...ARTIFACT_PREFIXES.map(proxyPaths),
  ...SERVER_INFO_ROUTES.map(serverInfo),
  ...RUN_LIST_ROUTES.map(runListing),
  ownerRoutes(),
);

/** The artifacts service's part of the OpenAPI document: the proxy's routes, and its Nest controllers' (none names an entity). */
export function artifactsOpenApi(): OpenApiFragment {
  const controllers = openApiFromControllers(ARTIFACTS_CONTROLLERS, EVENT_FEED_WIRE_SCHEMAS, {
    fields: new Set(),
    description: '',
  });
  return {
    paths: { ...ARTIFACT_OPENAPI_PATHS, ...controllers.paths },
    components: { ...controllers.components, Error: ERROR_SCHEMA },
  };
}
