import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { describe, it } from 'node:test';
import { databricksSignature, deliveryHeaders, mlflowSignature } from './signing';

/** A receiver written the way MLflow's documentation shows one: HMAC over "{id}.{ts}.{body}", base64, compared. */
function mlflowReceiverAccepts(secret: string, headers: Record<string, string>, body: string): boolean {
  const id = headers['X-MLflow-Delivery-Id'];
  const timestamp = headers['X-MLflow-Timestamp'];
  const expected = crypto.createHmac('sha256', secret).update(`${id}.${timestamp}.${body}`).digest('base64');
  return (headers['X-MLflow-Signature'] ?? '')
    .split(' ')
    .some((signature) => signature.startsWith('v1,') && signature.slice(3) === expected);
}

function databricksReceiverAccepts(secret: string, headers: Record<string, string>, body: string): boolean {
  const expected = crypto.createHmac('sha256', secret).update(body).digest('hex');
  return (headers['X-Databricks-Signature'] ?? '').split(' ').includes(expected);
}

const body = '{"entity": "model_version", "action": "created", "data": {"name": "café"}}';
const delivery = { deliveryId: '5f0e8a8e-0f5b-4f55-9b1f-6d1f6f1d8d11', timestampSeconds: '1796500000', body };

describe('signing webhook deliveries', () => {
  it("signs as MLflow does: a receiver following MLflow's documentation accepts it", () => {
    const headers = deliveryHeaders('mlflow', { ...delivery, secrets: ['s3cret'], authorization: null });
    assert.deepEqual(Object.keys(headers).sort(), [
      'Content-Type',
      'X-MLflow-Delivery-Id',
      'X-MLflow-Signature',
      'X-MLflow-Timestamp',
    ]);
    assert.equal(headers['Content-Type'], 'application/json');
    assert.equal(headers['X-MLflow-Delivery-Id'], delivery.deliveryId);
    assert.equal(headers['X-MLflow-Timestamp'], '1796500000');
    assert.match(headers['X-MLflow-Signature'], /^v1,[A-Za-z0-9+/]{43}=$/);
    assert.equal(mlflowReceiverAccepts('s3cret', headers, body), true);
    assert.equal(mlflowReceiverAccepts('other', headers, body), false);
    assert.equal(mlflowReceiverAccepts('s3cret', headers, body.replace('café', 'cafe')), false);
  });

  it("matches signatures computed with Python's hmac module, non-ASCII secrets and bodies included", () => {
    assert.equal(mlflowSignature('key', 'id', '1', '{}'), 'v1,5PVmP2AfJGwnp9flV+flrzfukNWA9zyUdqvI+IQalVs=');
    assert.equal(
      mlflowSignature('sécret', 'id', '1', '{"n": "café"}'),
      'v1,05/CXD999vFpbMq0f8vyCss0rf5Jey2MgmKmoS/DWVs=',
    );
    assert.equal(databricksSignature('key', '{}'), 'a777724d943eb48dc69bca8a4a6d57a04db3f9ec7e1de4e581e860265bdf3032');
  });

  it('sends no signature when the webhook has no secret', () => {
    const headers = deliveryHeaders('mlflow', { ...delivery, secrets: [], authorization: null });
    assert.equal('X-MLflow-Signature' in headers, false);
  });

  it('signs with each secret while one is rotated, so either is accepted', () => {
    const headers = deliveryHeaders('mlflow', { ...delivery, secrets: ['new', 'old'], authorization: null });
    const signatures = headers['X-MLflow-Signature'].split(' ');
    assert.equal(signatures.length, 2);
    assert.equal(signatures[0], mlflowSignature('new', delivery.deliveryId, delivery.timestampSeconds, body));
    assert.equal(mlflowReceiverAccepts('new', headers, body), true);
    assert.equal(mlflowReceiverAccepts('old', headers, body), true);
  });

  it('signs a Databricks delivery in hex over the body, with its authorization and our id', () => {
    const headers = deliveryHeaders('databricks', {
      ...delivery,
      secrets: ['new', 'old'],
      authorization: 'Bearer abc',
    });
    assert.deepEqual(Object.keys(headers).sort(), [
      'Authorization',
      'Content-Type',
      'X-Databricks-Signature',
      'X-Logbook-Delivery-Id',
      'X-Logbook-Timestamp',
    ]);
    assert.equal(headers.Authorization, 'Bearer abc');
    assert.equal(headers['X-Logbook-Delivery-Id'], delivery.deliveryId);
    assert.match(headers['X-Databricks-Signature'], /^[0-9a-f]{64} [0-9a-f]{64}$/);
    assert.equal(databricksReceiverAccepts('old', headers, body), true);
    assert.equal(databricksReceiverAccepts('wrong', headers, body), false);
    const bare = deliveryHeaders('databricks', { ...delivery, secrets: [], authorization: null });
    assert.deepEqual(Object.keys(bare).sort(), ['Content-Type', 'X-Logbook-Delivery-Id', 'X-Logbook-Timestamp']);
  });
});
