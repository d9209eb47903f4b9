import { createHmac } from 'node:crypto';
import type { WebhookFlavor } from '../webhook-catalog';

/** What a delivery is signed over and sent with; `body` is the exact text sent. */
export interface DeliverySigning {
  deliveryId: string;
  /** Unix seconds, as a decimal string: signed as it is sent. */
  timestampSeconds: string;
  body: string;
  /** The webhook's secrets, current first: during a rotation both sign. */
  secrets: readonly string[];
  /** A Databricks webhook's `authorization` header value, sent as is. */
  authorization: string | null;
}

/** MLflow's signature: HMAC-SHA256 keyed by the secret over `<delivery id>.<timestamp>.<body>`, base64, as "v1,<b64>". */
export function mlflowSignature(secret: string, deliveryId: string, timestampSeconds: string, body: string): string {
  const mac = createHmac('sha256', Buffer.from(secret, 'utf8'))
    .update(Buffer.from(`${deliveryId}.${timestampSeconds}.${body}`, 'utf8'))
    .digest('base64');
  return `v1,${mac}`;
}

/** Databricks' signature: HMAC-SHA256 keyed by the secret over the body, in hex. */
export function databricksSignature(secret: string, body: string): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(Buffer.from(body, 'utf8')).digest('hex');
}

/**
 * The headers a delivery is sent with, in its webhook's flavour. Several secrets give several
 * signatures separated by spaces (Standard Webhooks style), so a receiver that knows either
 * secret accepts the delivery while a secret is rotated.
 */
export function deliveryHeaders(flavor: WebhookFlavor, delivery: DeliverySigning): Record<string, string> {
  const { deliveryId, timestampSeconds, body, secrets } = delivery;
  if (flavor === 'mlflow') {
    return {
      'Content-Type': 'application/json',
      'X-MLflow-Delivery-Id': deliveryId,
      'X-MLflow-Timestamp': timestampSeconds,
      ...(secrets.length > 0
        ? {
            'X-MLflow-Signature': secrets
              .map((secret) => mlflowSignature(secret, deliveryId, timestampSeconds, body))
              .join(' '),
          }
        : {}),
    };
  }
  return {
    'Content-Type': 'application/json',
    // Databricks sends no delivery id; ours lets a receiver drop a delivery it already has.
    'X-Logbook-Delivery-Id': deliveryId,
    'X-Logbook-Timestamp': timestampSeconds,
    ...(secrets.length > 0
      ? { 'X-Databricks-Signature': secrets.map((secret) => databricksSignature(secret, body)).join(' ') }
      : {}),
    ...(delivery.authorization !== null ? { Authorization: delivery.authorization } : {}),
  };
}
