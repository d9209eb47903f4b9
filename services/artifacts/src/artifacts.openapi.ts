/** The artifact proxy's routes for the gateway's OpenAPI document (they are Fastify routes, not Nest controllers). */
type Operation = Record<string, unknown>;

const pathParameter = { name: 'path', in: 'path', required: true, schema: { type: 'string' } };
const error = {
  description: 'MLflow error',
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
};
const ok = (description: string, schema: Record<string, unknown> = { type: 'object' }) => ({
  '200': { description, content: { 'application/json': { schema } } },
  default: error,
});
const jsonBody = (properties: Record<string, unknown>, required: string[]) => ({
  required: true,
  content: { 'application/json': { schema: { type: 'object', properties, required } } },
});

const fileInfo = {
  type: 'object',
  properties: {
    path: { type: 'string' },
    is_dir: { type: 'boolean' },
    file_size: { type: 'integer', format: 'int64' },
  },
};

export const ARTIFACT_OPENAPI_PATHS: Record<string, Record<string, Operation>> = {
  '/api/2.0/mlflow-artifacts/artifacts/{path}': {
    put: {
      operationId: 'Artifacts_upload',
      parameters: [pathParameter],
      requestBody: { required: true, content: { '*/*': { schema: { type: 'string', format: 'binary' } } } },
      responses: ok('Stored'),
    },
    get: {
      operationId: 'Artifacts_download',
      parameters: [pathParameter, { name: 'Range', in: 'header', required: false, schema: { type: 'string' } }],
      responses: {
        '200': { description: 'The bytes', content: { '*/*': { schema: { type: 'string', format: 'binary' } } } },
        '206': {
          description: 'The requested range',
          content: { '*/*': { schema: { type: 'string', format: 'binary' } } },
        },
        '416': { description: 'Range not satisfiable' },
        default: error,
      },
    },
    delete: { operationId: 'Artifacts_delete', parameters: [pathParameter], responses: ok('Deleted') },
  },
  '/api/2.0/mlflow-artifacts/artifacts': {
    get: {
      operationId: 'Artifacts_list',
      parameters: [{ name: 'path', in: 'query', required: false, schema: { type: 'string' } }],
      responses: ok('Immediate children of a directory ({} for a file or a missing path)', {
        type: 'object',
        properties: { files: { type: 'array', items: fileInfo } },
      }),
    },
  },
  '/api/2.0/mlflow-artifacts/mpu/create/{path}': {
    post: {
      operationId: 'Artifacts_createMultipartUpload',
      parameters: [pathParameter],
      requestBody: jsonBody({ path: { type: 'string' }, num_parts: { type: 'integer' } }, ['path', 'num_parts']),
      responses: ok('Upload id and one URL per part'),
    },
  },
  '/api/2.0/mlflow-artifacts/mpu/upload-part/{path}': {
    put: {
      operationId: 'Artifacts_uploadPart',
      parameters: [
        pathParameter,
        { name: 'upload_id', in: 'query', required: true, schema: { type: 'string' } },
        { name: 'part_number', in: 'query', required: true, schema: { type: 'integer' } },
      ],
      requestBody: { required: true, content: { '*/*': { schema: { type: 'string', format: 'binary' } } } },
      responses: ok('Stored; the ETag header names the part'),
    },
  },
  '/api/2.0/mlflow-artifacts/mpu/complete/{path}': {
    post: {
      operationId: 'Artifacts_completeMultipartUpload',
      parameters: [pathParameter],
      requestBody: jsonBody(
        {
          path: { type: 'string' },
          upload_id: { type: 'string' },
          parts: { type: 'array', items: { type: 'object' } },
        },
        ['path', 'upload_id', 'parts'],
      ),
      responses: ok('Completed'),
    },
  },
  '/api/2.0/mlflow-artifacts/mpu/abort/{path}': {
    post: {
      operationId: 'Artifacts_abortMultipartUpload',
      parameters: [pathParameter],
      requestBody: jsonBody({ path: { type: 'string' }, upload_id: { type: 'string' } }, ['path', 'upload_id']),
      responses: ok('Aborted'),
    },
  },
  '/api/3.0/mlflow/server-info': {
    get: {
      operationId: 'ServerInfo_get',
      responses: ok('Capabilities, as MLflow publishes them', {
        type: 'object',
        properties: {
          store_type: { type: 'string' },
          workspaces_enabled: { type: 'boolean' },
          trace_archival_enabled: { type: 'boolean' },
          multipart_uploads_enabled: { type: 'boolean' },
          multipart_downloads_enabled: { type: 'boolean' },
          presigned_upload_run_id_supported: { type: 'boolean' },
          presigned_upload_model_id_supported: { type: 'boolean' },
          features_enabled: { type: 'object', additionalProperties: { type: 'boolean' } },
        },
      }),
    },
  },
  '/api/2.0/mlflow/artifacts/list': {
    get: {
      operationId: 'Artifacts_listForRun',
      parameters: [
        { name: 'run_id', in: 'query', required: true, schema: { type: 'string' } },
        { name: 'path', in: 'query', required: false, schema: { type: 'string' } },
      ],
      responses: ok('Run-relative listing', {
        type: 'object',
        properties: { root_uri: { type: 'string' }, files: { type: 'array', items: fileInfo } },
      }),
    },
  },
};
