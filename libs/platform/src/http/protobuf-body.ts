import { existsSync, readdirSync } from 'node:fs';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { Root, Type } from 'protobufjs';
import { MlflowError } from '../errors';
import { assertStorableStrings } from './json-body';
import { restJson } from './rest-json';

/**
 * A request body holding a protobuf message, named by the content type's `messageType` parameter:
 * `application/x-protobuf; messageType=mlflow.LogBatch`. The gateway passes a gRPC request on this way, so
 * the message is decoded once, by the service that answers it, where a JSON body is parsed once.
 */
export const PROTOBUF_MEDIA_TYPE = 'application/x-protobuf';

export const protobufContentType = (typeName: string): string => `${PROTOBUF_MEDIA_TYPE}; messageType=${typeName}`;

/** The folder of Logbook's .proto files (libs/contracts/proto), found from the built or the source tree alike. */
export function protoFolder(): string {
  for (let folder = __dirname; folder !== dirname(folder); folder = dirname(folder)) {
    const candidate = join(folder, 'libs', 'contracts', 'proto');
    if (existsSync(candidate)) return candidate;
  }
  throw new Error("Logbook's .proto files (libs/contracts/proto) were not found");
}

/** The .proto files under the folder, relative to it. */
export const protoFileNames = (root: string, folder = root): string[] =>
  readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? protoFileNames(root, join(folder, entry.name))
      : entry.name.endsWith('.proto')
        ? [relative(root, join(folder, entry.name))]
        : [],
  );

let loaded: { root: Root; requestTypes: Map<string, Type> } | undefined;

/** Logbook's .proto files as protobufjs types (field names as declared), loaded once per process. */
export function protobufTypes(): { root: Root; requestTypes: ReadonlyMap<string, Type> } {
  if (loaded) return loaded;
  const folder = protoFolder();
  const root = new Root();
  root.resolvePath = (_origin, target) => (isAbsolute(target) ? target : join(folder, target));
  root.loadSync(protoFileNames(folder), { keepCase: true });
  root.resolveAll();
  const requestTypes = new Map<string, Type>();
  const visit = (namespace: { nestedArray: unknown[] }) => {
    for (const nested of namespace.nestedArray) {
      if (nested instanceof Type) continue;
      const service = nested as { methodsArray?: { resolvedRequestType: Type | null }[] };
      for (const method of service.methodsArray ?? []) {
        const type = method.resolvedRequestType as Type;
        requestTypes.set(type.fullName.slice(1), type);
      }
      if ('nestedArray' in (nested as object)) visit(nested as { nestedArray: unknown[] });
    }
  };
  visit(root);
  loaded = { root, requestTypes };
  return loaded;
}

const MESSAGE_TYPE = /;\s*messagetype\s*=\s*"?([\w.]+)"?/i;

/**
 * A protobuf body as the JSON its route takes (restJson): the same object a JSON body of the same message
 * parses to, held to the same rule for what can be stored. Only the request messages of Logbook's services
 * are taken.
 */
export function parseProtobufBody(contentType: string | undefined, body: Buffer): Record<string, unknown> {
  const typeName = MESSAGE_TYPE.exec(contentType ?? '')?.[1];
  const type = typeName === undefined ? undefined : protobufTypes().requestTypes.get(typeName);
  if (type === undefined) {
    throw new MlflowError(
      'BAD_REQUEST',
      `A ${PROTOBUF_MEDIA_TYPE} body names its message in the content type (messageType=<package>.<Message>), ` +
        `a request message of Logbook's gRPC services${typeName === undefined ? '' : `; ${typeName} is not one`}`,
    );
  }
  let json: Record<string, unknown>;
  try {
    json = restJson(type, type.decode(body));
  } catch (error) {
    throw new MlflowError(
      'MALFORMED_REQUEST',
      `The request is not a valid ${typeName} message: ${(error as Error).message}`,
    );
  }
  assertStorableStrings(json);
  return json;
}
