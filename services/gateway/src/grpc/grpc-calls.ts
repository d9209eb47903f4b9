import { Metadata, ServerUnaryCall, ServerWritableStream } from '@grpc/grpc-js';
import { PackageDefinition, ServiceDefinition } from '@grpc/proto-loader';
import { Root, Type } from 'protobufjs';
import { restJson } from '@logbook/platform';
import { RestCaller } from '../own-rest-routes';
import { mlflowFailure } from './grpc-status';
import { RestBinding } from './rest-binding';
import { EncodedMessage, takesMessageAsBody } from './transcoding';

/** Set on a request whose bytes do not decode as its message, so the handler can refuse it in MLflow's terms. */
const UNDECODABLE = Symbol('undecodable');

/**
 * Each method's request as its REST route takes it. A route that takes the whole message as its body gets the
 * bytes as received (EncodedMessage), decoded once, by the service that answers: a gRPC batch then costs the
 * gateway what a REST one does, bytes passed on. A route that reads fields from its path or query string gets
 * the message decoded here into REST JSON (restJson); one that does not decode would otherwise end as INTERNAL
 * ("Error deserializing request"), and is marked for the handler to answer INVALID_ARGUMENT, the caller's mistake.
 */
export function restDeserializers(
  definition: PackageDefinition,
  root: Root,
  bindings: ReadonlyMap<string, RestBinding>,
): void {
  for (const [serviceName, service] of Object.entries(definition)) {
    if ('format' in service) continue;
    const declared = root.lookupService(serviceName);
    for (const [methodName, method] of Object.entries(service as ServiceDefinition)) {
      const type = declared.methods[methodName].resolvedRequestType as Type;
      const binding = bindings.get(`${serviceName}/${methodName}`);
      const typeName = type.fullName.slice(1);
      Object.assign(method, {
        requestDeserialize:
          binding && takesMessageAsBody(binding)
            ? (bytes: Buffer) => new EncodedMessage(typeName, bytes)
            : (bytes: Buffer) => {
                try {
                  return restJson(type, type.decode(bytes));
                } catch (error) {
                  return { [UNDECODABLE]: (error as Error).message };
                }
              },
      });
    }
  }
}

/** The caller's address from grpc-js's peer string (`1.2.3.4:5678`, `[::1]:5678`). */
const peerAddress = (peer: string) => peer.replace(/^\[?(.*?)\]?:\d+$/, '$1');

type AnyCall = ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>;

const deadlineMs = (call: AnyCall) => {
  const deadline = call.getDeadline();
  return deadline instanceof Date ? deadline.getTime() : deadline;
};

/** Refuses, in MLflow's terms, a call whose request did not decode or whose deadline passed before it started. */
export function admit(message: object, call: AnyCall): void {
  const undecodable = (message as { [UNDECODABLE]?: string })[UNDECODABLE];
  if (undecodable !== undefined) {
    throw mlflowFailure('MALFORMED_REQUEST', `The request is not a valid message: ${undecodable}`, 400);
  }
  if (deadlineMs(call) <= Date.now()) {
    throw mlflowFailure('DEADLINE_EXCEEDED', 'The call reached its deadline before it started', 504);
  }
}

const firstValue = (metadata: Metadata, key: string) => {
  const [value] = metadata.get(key);
  return typeof value === 'string' ? value : undefined;
};

/** The gRPC caller as its REST calls name it: the metadata's credentials and request id, its address. */
export const restCaller = (metadata: Metadata, call: AnyCall): RestCaller => ({
  host: call.getHost(),
  authorization: firstValue(metadata, 'authorization'),
  requestId: firstValue(metadata, 'x-request-id'),
  address: peerAddress(call.getPeer()),
});
