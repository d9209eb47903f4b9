import 'reflect-metadata';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  ClientReadableStream,
  credentials,
  loadPackageDefinition,
  Metadata,
  ServiceClientConstructor,
  ServiceError,
  status as Status,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { freePort } from '@logbook/testing';
import { GrpcEndpoint, startGrpcEndpoint } from '../../services/gateway/src/grpc/grpc-endpoint';
import { silent, startEmbeddedApp } from './embedded-app-fixture';

const PROTO_ROOT = join(__dirname, '..', '..', '..', 'libs', 'contracts', 'proto');

interface SubscribedEvent {
  position: string;
  topic: string;
  key: string;
  event_id: string;
  type: string;
  schema_version: number;
  event_json: string;
}

type EventService = { Subscribe(request: object, metadata: Metadata): ClientReadableStream<SubscribedEvent> } & {
  close(): void;
};

/** Reads a subscription until `count` events arrived (or `timeoutMs` passed), then cancels it. */
function collect(stream: ClientReadableStream<SubscribedEvent>, count: number, timeoutMs = 20_000) {
  return new Promise<{ events: SubscribedEvent[]; error?: ServiceError }>((resolve) => {
    const events: SubscribedEvent[] = [];
    const finish = (error?: ServiceError) => {
      clearTimeout(timer);
      stream.cancel();
      resolve({ events, ...(error ? { error } : {}) });
    };
    const timer = setTimeout(() => finish(), timeoutMs);
    stream.on('data', (event: SubscribedEvent) => {
      events.push(event);
      if (events.length === count) finish();
    });
    stream.on('error', (error: ServiceError) => {
      if (error.code !== Status.CANCELLED) finish(error);
    });
  });
}

describe('EventService/Subscribe on the embedded services', () => {
  let app: NestFastifyApplication;
  let endpoint: GrpcEndpoint;
  let closeApp: () => Promise<void>;
  let events: EventService;
  const modelNames = Array.from({ length: 5 }, (_, i) => `subscribed-${i}`);

  const rest = async (path: string, body: unknown) => {
    const response = await app.inject({
      method: 'POST',
      url: `/api/2.0/mlflow/${path}`,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    });
    assert.equal(response.statusCode, 200, response.body);
  };
  const subscribe = (request: object) => events.Subscribe(request, new Metadata());

  before(async () => {
    ({ app, close: closeApp } = await startEmbeddedApp('subscribe', 1024 * 1024));
    const port = await freePort();
    endpoint = await startGrpcEndpoint(
      app.getHttpAdapter().getInstance(),
      { host: '127.0.0.1', port, maxMessageBytes: 1024 * 1024, drainTimeoutMs: 5_000 },
      silent,
    );
    const definition = loadSync('logbook/v1/events.proto', { includeDirs: [PROTO_ROOT], keepCase: true });
    const logbook = (
      loadPackageDefinition(definition).logbook as Record<string, Record<string, ServiceClientConstructor>>
    ).v1;
    events = new logbook.EventService(`127.0.0.1:${port}`, credentials.createInsecure()) as unknown as EventService;
    for (const name of modelNames) {
      await rest('registered-models/create', { name });
      await rest('registered-models/set-tag', { name, key: 'team', value: 'fraud' });
    }
  });

  after(async () => {
    events.close();
    await endpoint.drain();
    await closeApp();
  });

  it('delivers the events of the log in commit order, with the contract Kafka carries', async () => {
    const { events: received, error } = await collect(
      subscribe({ types: ['RegisteredModelCreated', 'RegisteredModelTagSet'] }),
      modelNames.length * 2,
    );
    assert.equal(error, undefined);
    assert.deepEqual(
      received.map((event) => [event.type, JSON.parse(event.event_json).data.name]),
      modelNames.flatMap((name) => [
        ['RegisteredModelCreated', name],
        ['RegisteredModelTagSet', name],
      ]),
    );
    const first = received[0];
    assert.equal(first.topic, 'registry.registered-model.events.v1');
    assert.equal(JSON.parse(first.event_json).eventId, first.event_id);
    assert.equal(JSON.parse(first.event_json).streamId, first.key);
  });

  it('resumes after the last event processed: nothing missed, nothing twice', async () => {
    const filter = { types: ['RegisteredModelCreated', 'RegisteredModelTagSet'] };
    const all = (await collect(subscribe(filter), modelNames.length * 2)).events;
    const firstPart = (await collect(subscribe(filter), 3)).events;
    const rest = (await collect(subscribe({ ...filter, after: firstPart[2].position }), all.length - 3)).events;
    assert.deepEqual(
      [...firstPart, ...rest].map((event) => event.event_id),
      all.map((event) => event.event_id),
    );
  });

  it('goes on with events committed while it is open, from the latest position too', async () => {
    const live = collect(subscribe({ from_latest: true, types: ['RegisteredModelCreated'] }), 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await rest('registered-models/create', { name: 'created-while-subscribed' });
    const { events: received } = await live;
    assert.deepEqual(
      received.map((event) => JSON.parse(event.event_json).data.name),
      ['created-while-subscribed'],
    );
  });

  it('keeps every subscriber at its own pace: one that stops reading holds up no other', async () => {
    for (let i = 0; i < 400; i++) {
      await rest('registered-models/set-tag', { name: modelNames[0], key: `k${i}`, value: 'x'.repeat(200) });
    }
    const stalled = subscribe({ types: ['RegisteredModelTagSet'] });
    // Its cancellation at the end is the only error it ends with.
    stalled.on('error', () => undefined);
    stalled.pause();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const { events: received, error } = await collect(
      subscribe({ types: ['RegisteredModelTagSet'] }),
      modelNames.length + 400,
    );
    assert.equal(error, undefined);
    assert.equal(received.length, modelNames.length + 400);
    stalled.cancel();
  });

  it('refuses a position it did not give', async () => {
    const { error } = await collect(subscribe({ after: 'not-a-position' }), 1);
    assert.equal(error?.code, Status.INVALID_ARGUMENT);
    assert.deepEqual(error?.metadata.get('mlflow-error-code'), ['INVALID_PARAMETER_VALUE']);
  });

  it('on shutdown, stops serving health and ends subscriptions with UNAVAILABLE, to be resumed elsewhere', async () => {
    const open = collect(subscribe({ from_latest: true }), 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await endpoint.drain();
    const { events: received, error } = await open;
    assert.deepEqual(received, []);
    assert.equal(error?.code, Status.UNAVAILABLE);
    assert.deepEqual(error?.metadata.get('mlflow-error-code'), ['TEMPORARILY_UNAVAILABLE']);
  });
});
