import { Metadata, Server, ServerUnaryCall, ServerWritableStream, status as Status } from '@grpc/grpc-js';
import { loadSync, MessageTypeDefinition, PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { GrpcMethodStreamingType, MessageHandler, ServerGrpc } from '@nestjs/microservices';
import { FastifyInstance } from 'fastify';
import { defer, ignoreElements } from 'rxjs';
import { HealthImplementation, protoPath as healthProtoPath } from 'grpc-health-check';
import { FileDescriptorProto } from 'protobufjs/ext/descriptor';
import { Logger, protobufTypes, protoFileNames, protoFolder } from '@logbook/platform';
import { callOwnRestRoute } from '../own-rest-routes';
import { EventSubscriptions } from './event-subscription';
import { admit, restCaller, restDeserializers } from './grpc-calls';
import { failureOfRestAnswer, GrpcFailure, mlflowFailure } from './grpc-status';
import { observeGrpcCall } from './grpc-metrics';
import { RestBinding } from './rest-binding';
import { REST_BINDINGS } from './rest-bindings';
import { MissingPathField, RequestMessage, restRequest } from './transcoding';

export interface GrpcSettings {
  host: string;
  port: number;
  /** The largest request message taken, as the REST body limit. */
  maxMessageBytes: number;
  /** How long a shutdown waits for calls in flight before ending them. */
  drainTimeoutMs: number;
}

export interface GrpcEndpoint {
  /** Stops taking calls, lets those in flight finish (up to the drain timeout), then closes. */
  drain(): Promise<void>;
}

/** Field names as declared (snake_case), as the REST answers that proto-loader encodes carry them. */
const LOADER_OPTIONS = { keepCase: true, longs: String, enums: String, defaults: false, oneofs: false };

interface DescribedMessage {
  name: string;
  field?: { name: string; jsonName?: string; typeName?: string; options?: { packed?: boolean } }[];
  nestedType?: (DescribedMessage & { options?: { mapEntry?: boolean } })[];
}

const pascalCase = (name: string) =>
  name.replace(/(?:^|_)([a-z0-9])/g, (_match, letter: string) => letter.toUpperCase());

/**
 * A message described as protoc would: protobufjs names a map field's entry type after the field alone where
 * reflection clients expect `<Field>Entry`, marks every field of a proto3 description `packed = false`, and
 * leaves out the JSON name protoc gives each field (lowerCamelCase), which JSON-speaking clients print.
 */
function describedAsProtoc(message: DescribedMessage): void {
  for (const nested of message.nestedType ?? []) describedAsProtoc(nested);
  for (const field of message.field ?? []) {
    if (field.options?.packed === false) delete field.options.packed;
    field.jsonName ??= field.name.replace(/_([a-z0-9])/g, (_match, letter: string) => letter.toUpperCase());
    const entryName = field.typeName?.split('.').pop();
    const entry = message.nestedType?.find((nested) => nested.options?.mapEntry && nested.name === entryName);
    if (!entry || !field.typeName) continue;
    entry.name = `${pascalCase(field.name)}Entry`;
    field.typeName = field.typeName.replace(/[^.]+$/, entry.name);
  }
}

/** One file's descriptor as reflection clients expect it, in the syntax it was declared in. */
function describedFile(bytes: Buffer, syntax?: 'proto2'): Buffer {
  const file = FileDescriptorProto.decode(bytes) as unknown as { messageType?: DescribedMessage[]; syntax?: string };
  for (const message of file.messageType ?? []) describedAsProtoc(message);
  if (syntax) file.syntax = syntax;
  return Buffer.from(FileDescriptorProto.encode(file).finish());
}

function describedAs(definition: PackageDefinition, syntax?: 'proto2'): PackageDefinition {
  const described: PackageDefinition = {};
  for (const [name, entry] of Object.entries(definition)) {
    const message = entry as MessageTypeDefinition<object, object>;
    described[name] =
      'format' in entry
        ? {
            ...message,
            fileDescriptorProtos: message.fileDescriptorProtos.map((bytes) => describedFile(bytes, syntax)),
          }
        : entry;
  }
  return described;
}

/**
 * The definition reflection describes: Logbook's files as the proto2 they are declared in (proto-loader labels
 * every file proto3, which makes MLflow's field defaults invalid to reflection clients), and the health
 * service beside them.
 */
const reflectedDefinition = (definition: PackageDefinition): PackageDefinition => ({
  ...describedAs(definition, 'proto2'),
  ...describedAs(loadSync(healthProtoPath, LOADER_OPTIONS)),
});

const serviceNames = (definition: PackageDefinition) =>
  Object.entries(definition)
    .filter(([, entry]) => !('format' in entry))
    .map(([name]) => name);

/**
 * One gRPC method answered by its REST route on this gateway, in process (Fastify's inject), as GraphQL
 * fields are: in the embedded shape the route is the service's controller, in the distributed shape the
 * proxy to the owning service. The call is authenticated and authorized as the REST call is, from the
 * `authorization` metadata, and the actor its events record is the caller.
 */
function unaryHandler(fastify: FastifyInstance, binding: RestBinding): UnaryHandler {
  return async (message: RequestMessage, metadata: Metadata, call: ServerUnaryCall<unknown, unknown>) => {
    admit(message, call);
    let request;
    try {
      request = restRequest(binding, message);
    } catch (error) {
      if (error instanceof MissingPathField) throw mlflowFailure('INVALID_PARAMETER_VALUE', error.message, 400);
      throw error;
    }
    const answer = await callOwnRestRoute(fastify, restCaller(metadata, call), request);
    if (answer.requestId) {
      const initial = new Metadata();
      initial.set('x-request-id', answer.requestId);
      call.sendMetadata(initial);
    }
    if (answer.status === 200) return answer.body;
    throw failureOfRestAnswer(answer.status, answer.body);
  };
}

type UnaryHandler = (
  message: RequestMessage,
  metadata: Metadata,
  call: ServerUnaryCall<unknown, unknown>,
) => Promise<unknown>;

/** A server-streaming method: it writes to the call itself and resolves when the stream is complete. */
type StreamHandler = (
  message: RequestMessage,
  metadata: Metadata,
  call: ServerWritableStream<unknown, unknown>,
) => Promise<void>;

/**
 * A method's handler as Nest's transport calls it (the message, then the metadata and the call, which its
 * handler type leaves out), counted and timed by status for /metrics. Answered as an Observable: the
 * transport passes an Observable's error on as the call's status, where a rejected promise would be lost;
 * a stream's Observable emits nothing (its handler wrote the messages) and completes with the stream.
 */
function transportHandler(method: string, handler: UnaryHandler | StreamHandler, streaming = false): MessageHandler {
  return async (message: RequestMessage, ...context: unknown[]) => {
    const [metadata, call] = context as [
      Metadata,
      ServerUnaryCall<unknown, unknown> & ServerWritableStream<unknown, unknown>,
    ];
    const answered = defer(async () => {
      const done = observeGrpcCall(method);
      try {
        const answer = await handler(message, metadata, call);
        done(Status.OK);
        return answer;
      } catch (error) {
        done((error as Partial<GrpcFailure>).code ?? Status.UNKNOWN);
        throw error;
      }
    });
    return streaming ? answered.pipe(ignoreElements()) : answered;
  };
}

const READINESS_INTERVAL_MS = 5_000;

/**
 * gRPC health follows the gateway's readiness (its database, Kafka, and in the distributed shape the
 * services behind it), so a gRPC probe or load balancer sees what /health/ready says.
 */
function followReadiness(fastify: FastifyInstance, report: (status: 'SERVING' | 'NOT_SERVING') => void) {
  const check = () =>
    fastify.inject({ method: 'GET', url: '/health/ready' }).then(
      (response) => report(response.statusCode === 200 ? 'SERVING' : 'NOT_SERVING'),
      () => report('NOT_SERVING'),
    );
  void check();
  return setInterval(check, READINESS_INTERVAL_MS).unref();
}

/** Nest's transport finds a package's services and those of the packages nested in it: each is named once. */
function outermostPackages(services: string[]): string[] {
  const packages = [...new Set(services.map((name) => name.slice(0, name.lastIndexOf('.'))))];
  return packages.filter((name) => !packages.some((other) => name.startsWith(`${other}.`)));
}

const listenAddress = (host: string, port: number) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

/**
 * The gRPC endpoint, with Nest's gRPC transport: MLflow's services (and Logbook's) as declared in
 * libs/contracts/proto, the standard health checking protocol and server reflection beside them.
 */
export async function startGrpcEndpoint(
  fastify: FastifyInstance,
  settings: GrpcSettings,
  logger: Logger,
): Promise<GrpcEndpoint> {
  const folder = protoFolder();
  const packageDefinition = loadSync(protoFileNames(folder), { ...LOADER_OPTIONS, includeDirs: [folder] });
  restDeserializers(packageDefinition, protobufTypes().root, REST_BINDINGS);
  const services = serviceNames(packageDefinition);
  const health = new HealthImplementation(Object.fromEntries(['', ...services].map((name) => [name, 'SERVING'])));
  let grpcServer: Server | undefined;
  const transport = new ServerGrpc({
    package: outermostPackages(services),
    packageDefinition,
    url: listenAddress(settings.host, settings.port),
    maxReceiveMessageLength: settings.maxMessageBytes,
    // No channelz service is served, so grpc-js need not keep its per-call accounts.
    channelOptions: { 'grpc.enable_channelz': 0 },
    onLoadPackageDefinition: (definition: PackageDefinition, server: Server) => {
      grpcServer = server;
      new ReflectionService(reflectedDefinition(definition)).addToServer(server);
      health.addToServer(server);
    },
  });
  for (const [method, binding] of REST_BINDINGS) {
    const separator = method.indexOf('/');
    transport.addHandler(
      transport.createPattern(
        method.slice(0, separator),
        method.slice(separator + 1),
        GrpcMethodStreamingType.NO_STREAMING,
      ),
      transportHandler(method, unaryHandler(fastify, binding)),
    );
  }
  const subscriptions = new EventSubscriptions(fastify);
  transport.addHandler(
    transport.createPattern('logbook.v1.EventService', 'Subscribe', GrpcMethodStreamingType.NO_STREAMING),
    transportHandler('logbook.v1.EventService/Subscribe', subscriptions.subscribe as StreamHandler, true),
  );
  await new Promise<void>((resolve, reject) =>
    transport.listen((error?: unknown) =>
      error
        ? reject(
            new Error(
              `gateway: gRPC could not listen on ${listenAddress(settings.host, settings.port)} (GRPC_PORT; 0 serves no gRPC): ${(error as Error).message}`,
            ),
          )
        : resolve(),
    ),
  );
  logger.info({ address: listenAddress(settings.host, settings.port), services }, 'gRPC listening');
  const readiness = followReadiness(fastify, (status) => {
    for (const name of ['', ...services]) health.setStatus(name, status);
  });
  return {
    drain: async () => {
      clearInterval(readiness);
      for (const name of ['', ...services]) health.setStatus(name, 'NOT_SERVING');
      subscriptions.close();
      const server = grpcServer;
      if (!server) return;
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, settings.drainTimeoutMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
    },
  };
}
