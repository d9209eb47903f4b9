import { EVENT_FEED_WIRE_SCHEMAS } from '@logbook/messaging';
import { errorResponse, OpenApiFragment, openApiFromControllers } from '@logbook/platform';
import { POLICY_BODIES, POLICY_WIRE_SCHEMAS } from './governance/policies.wire-schemas';
import { REGISTRY_CONTROLLERS } from './registry.module';
import { ANSWERS, REGISTRY_WIRE_SCHEMAS } from './shared/wire-schemas';
import { TRANSITION_REQUEST_WIRE_SCHEMAS } from './transition-requests/transition-requests.wire-schemas';
import { LEDGER_WIRE_SCHEMAS } from './webhooks/delivery/ledger.wire-schemas';
import { WEBHOOK_WIRE_SCHEMAS } from './webhooks/webhooks.wire-schemas';

/** Fields naming a model, version or comment that may not exist: an operation taking one can answer 404. */
const ENTITY_FIELDS = new Set(['name', 'version', 'id']);

/** get-artifact answers with a redirect to the artifact proxy, which streams the file. */
const ARTIFACT_REDIRECT = {
  description:
    "Redirect to the file in the version's read-only registry copy under the artifact proxy " +
    '(`<prefix>/2.0/mlflow-artifacts/artifacts/registry/<model id>/<version>/<path>`), which answers the bytes as ' +
    'an attachment with their content type, or 404 RESOURCE_DOES_NOT_EXIST when the copy has no such file. ' +
    'A version not READY is refused with 400 INVALID_STATE.',
  headers: { Location: { description: 'Where the file is served', schema: { type: 'string' } } },
};

/**
 * The policy routes that take a policy document read it with the policy schema, not a DTO: their bodies
 * are documented here, and what answers 404 names a policy.
 */
function describePolicyOperations(path: string, operations: OpenApiFragment['paths'][string]): void {
  if (path.endsWith('/create')) operations.post.requestBody = POLICY_BODIES.create;
  if (path.endsWith('/update')) {
    operations.patch.requestBody = POLICY_BODIES.update;
    operations.patch.responses['404'] = errorResponse(404, 'No such policy');
  }
  for (const operation of Object.values(operations)) {
    if (operation.responses['404']) operation.responses['404'] = errorResponse(404, 'No such policy');
  }
}

/**
 * A webhook route answers 404 for a webhook that does not exist (or is the other API's); creating a
 * Databricks webhook, for a model that does not.
 */
function describeWebhookOperations(path: string, operations: OpenApiFragment['paths'][string]): void {
  for (const [verb, operation] of Object.entries(operations)) {
    const creates = verb === 'post' && (path.endsWith('/registry-webhooks/create') || path.endsWith('/webhooks'));
    const lists = verb === 'get' && (path.endsWith('/registry-webhooks/list') || path.endsWith('/webhooks'));
    if (path.endsWith('/registry-webhooks/create')) {
      operation.responses['404'] = errorResponse(404, 'No registered model of that model_name');
    } else if (creates || lists) {
      delete operation.responses['404'];
    } else {
      operation.responses['404'] = errorResponse(404, 'No such webhook');
    }
  }
}

/** The registry API's part of the OpenAPI document, generated from its controllers. */
export function registryOpenApi(): OpenApiFragment {
  const fragment = openApiFromControllers(
    REGISTRY_CONTROLLERS,
    {
      ...REGISTRY_WIRE_SCHEMAS,
      ...POLICY_WIRE_SCHEMAS,
      ...TRANSITION_REQUEST_WIRE_SCHEMAS,
      ...WEBHOOK_WIRE_SCHEMAS,
      ...LEDGER_WIRE_SCHEMAS,
      ...EVENT_FEED_WIRE_SCHEMAS,
    },
    {
      fields: ENTITY_FIELDS,
      description: 'No such registered model, model version or comment',
    },
  );
  for (const [path, operations] of Object.entries(fragment.paths)) {
    if (path.endsWith('/audit/entries/export')) {
      operations.get.responses['200'] = {
        description: 'The matching audit rows, streamed',
        content: { 'application/x-ndjson': { schema: ANSWERS.auditExport } },
      };
    }
    if (path.includes('webhooks')) {
      describeWebhookOperations(path, operations);
      continue;
    }
    if (path.includes('/logbook/policies/')) {
      describePolicyOperations(path, operations);
      continue;
    }
    if (!path.endsWith('/model-versions/get-artifact')) continue;
    const { responses } = operations.get;
    delete responses['200'];
    operations.get.responses = { '307': ARTIFACT_REDIRECT, ...responses };
  }
  return fragment;
}
