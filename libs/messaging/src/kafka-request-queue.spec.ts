import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import RequestQueue from 'kafkajs/src/network/requestQueue';
import { quietIdleKafkaConnections } from './kafka-request-queue';

const silent = { debug: () => undefined, warn: () => undefined };

function queue(maxInFlightRequests: number | null = null): RequestQueue {
  return new RequestQueue({
    maxInFlightRequests,
    requestTimeout: 30_000,
    enforceRequestTimeout: false,
    clientId: 'spec',
    broker: 'localhost:9092',
    logger: silent,
  });
}

/** Pushes a request with this correlation id; `sent` lists the ids in the order they went out. */
function push(requests: RequestQueue, correlationId: number, sent: number[]): void {
  requests.push({
    entry: {
      correlationId,
      apiKey: 1,
      apiName: 'Fetch',
      apiVersion: 11,
      resolve: () => undefined,
      reject: () => undefined,
    },
    expectResponse: true,
    sendRequest: () => sent.push(correlationId),
  });
}

const answer = (requests: RequestQueue, correlationId: number) =>
  requests.fulfillRequest({ correlationId, payload: Buffer.alloc(0), size: 0 });

describe('kafkajs request queue, quieted', () => {
  quietIdleKafkaConnections();

  it('arms no timer once its requests are answered', () => {
    const requests = queue();
    const sent: number[] = [];
    push(requests, 1, sent);
    answer(requests, 1);
    assert.deepEqual(sent, [1]);
    assert.equal(requests.throttleCheckTimeoutId, null, 'an idle connection must not wake the process');
    requests.destroy();
  });

  it('sends a request held back by the in-flight limit as soon as the one before is answered', async () => {
    const requests = queue(1);
    const sent: number[] = [];
    push(requests, 1, sent);
    push(requests, 2, sent);
    assert.deepEqual(sent, [1]);
    answer(requests, 1);
    assert.deepEqual(sent, [1, 2]);
    answer(requests, 2);
    // The check scheduled while request 2 waited runs once more and arms nothing after it.
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(requests.throttleCheckTimeoutId, null);
    requests.destroy();
  });

  it('sends a request held back by broker throttling when the throttling ends', async () => {
    const requests = queue();
    const sent: number[] = [];
    requests.maybeThrottle(40);
    const pushedAt = Date.now();
    push(requests, 1, sent);
    assert.deepEqual(sent, [], 'throttled: queued');
    while (sent.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.ok(Date.now() - pushedAt >= 35, 'not before the throttling ends');
    answer(requests, 1);
    assert.equal(requests.throttleCheckTimeoutId, null);
    requests.destroy();
  });
});
