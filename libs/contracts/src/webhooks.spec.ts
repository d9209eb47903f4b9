import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { WEBHOOK_PAYLOADS, webhookPayloadContract } from './webhooks';

describe('webhook payload contracts', () => {
  it('name each event once per flavour and list', () => {
    const keys = WEBHOOK_PAYLOADS.map(({ flavor, catalogue, event }) => `${flavor} ${catalogue} ${event}`);
    assert.equal(new Set(keys).size, keys.length);
    assert.equal(webhookPayloadContract('mlflow', 'model_version_alias.deleted', 'mlflow')?.catalogue, 'mlflow');
    assert.equal(webhookPayloadContract('mlflow', 'model_version_alias.deleted', 'logbook')?.catalogue, 'logbook');
  });

  for (const payload of WEBHOOK_PAYLOADS) {
    it(`${payload.flavor} ${payload.event}: its example is a body it accepts, every field has a meaning`, () => {
      const parsed = payload.body.safeParse(payload.example);
      assert.ok(parsed.success, parsed.error?.message);
      const fields = payload.flavor === 'mlflow' ? (payload.body.shape.data as z.ZodObject) : payload.body;
      for (const [name, field] of Object.entries(fields.shape)) {
        assert.ok((field as z.ZodType).description, `${payload.event}.${name} has no meaning: give it .describe()`);
      }
    });

    it(`${payload.flavor} ${payload.event}: refuses a body with a field it does not declare`, () => {
      const extra = { ...(payload.example as object), unexpected: true };
      assert.equal(payload.body.safeParse(extra).success, false);
    });
  }
});
