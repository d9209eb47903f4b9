import { Metadata, ServerUnaryCall, ServerWritableStream } from '@grpc/grpc-js';
import { PackageDefinition, ServiceDefinition } from '@grpc/proto-loader';
import { Root, Type } from 'protobufjs';
import { RestCaller } from '../own-rest-routes';
import { mlflowFailure } from './grpc-status';
import { restJson } from './rest-json';

/** Set on a request whose bytes do not decode as its message, so the handler can refuse it in MLflow's terms. */
const UNDECODABLE = Symbol('undecodable');

/**
 * Each method's request decoded straight into what its REST route takes (restJson). A request that does not
 * decode would otherwise end as INTERNAL ("Error deserializing request"); it is the caller's mistake, marked
 * for the handler to answer INVALID_ARGUMENT.
 */
export function restDeserializers(definition: PackageDefinition, root: Root): void {
  for (const [serviceName, service] of Object.entries(definition)) {
    if ('format' in service) continue;
    const declared = root.lookupService(serviceName);
    for (const [methodName, method] of Object.entries(service as ServiceDefinition)) {
      const type = declared.methods[methodName].resolvedRequestType as Type;
      Object.assign(method, {
        requestDeserialize: (bytes: Buffer) => {
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
