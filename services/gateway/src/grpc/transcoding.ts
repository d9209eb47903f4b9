import { OwnRestRequest, queryString } from '../own-rest-routes';
import { RestBinding } from './rest-binding';

/** A request message as restJson decodes it: protobuf JSON under the declared field names. */
export type RequestMessage = Record<string, unknown>;

/** A field the route's path needs but the message left unset. */
export class MissingPathField extends Error {
  constructor(readonly field: string) {
    super(`Missing value for required parameter '${field}'`);
  }
}

/**
 * The REST request a gRPC call stands for, as grpc-gateway transcodes: fields named in the path template
 * fill it, the others go in the query string (GET) or the JSON body (every other verb; MLflow's clients
 * send DELETE with a body too).
 */
export function restRequest(binding: RestBinding, message: RequestMessage): OwnRestRequest {
  const rest: RequestMessage = { ...message };
  const path = binding.path.replace(/\{(\w+)\}/g, (_match, field: string) => {
    const value = rest[field];
    delete rest[field];
    if (value === undefined || value === null || value === '') throw new MissingPathField(field);
    return encodeURIComponent(String(value));
  });
  if (binding.verb === 'GET' || binding.fieldsInQuery)
    return { method: binding.verb, url: `${path}${queryString(rest)}` };
  return { method: binding.verb, url: path, payload: JSON.stringify(rest) };
}
