import { protobufContentType } from '@logbook/platform';
import { OwnRestRequest, queryString } from '../own-rest-routes';
import { RestBinding } from './rest-binding';

/** A request message whose route takes it whole as its body, as the client encoded it. */
export class EncodedMessage {
  constructor(
    readonly typeName: string,
    readonly bytes: Buffer,
  ) {}
}

/** A request message: as restJson decodes it (protobuf JSON under the declared field names), or still encoded. */
export type RequestMessage = Record<string, unknown> | EncodedMessage;

/** A route that reads nothing from its path or query string takes the whole message as its body. */
export const takesMessageAsBody = (binding: RestBinding): boolean =>
  binding.verb !== 'GET' && !binding.fieldsInQuery && !binding.path.includes('{');

/** A field the route's path needs but the message left unset. */
export class MissingPathField extends Error {
  constructor(readonly field: string) {
    super(`Missing value for required parameter '${field}'`);
  }
}

/**
 * The REST request a gRPC call stands for, as grpc-gateway transcodes: fields named in the path template
 * fill it, the others go in the query string (GET) or the JSON body (every other verb; MLflow's clients
 * send DELETE with a body too). A message the route takes whole is its body as it came, in protobuf.
 */
export function restRequest(binding: RestBinding, message: RequestMessage): OwnRestRequest {
  if (message instanceof EncodedMessage) {
    return {
      method: binding.verb,
      url: binding.path,
      payload: message.bytes,
      contentType: protobufContentType(message.typeName),
    };
  }
  const rest: Record<string, unknown> = { ...message };
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
