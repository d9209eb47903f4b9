import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadTrackingConfig } from './config';

describe('tracking configuration', () => {
  it('makes the embedded database durable unless fast is asked for', () => {
    assert.equal(loadTrackingConfig({}).embeddedDurability, 'full');
    assert.equal(loadTrackingConfig({ LOGBOOK_EMBEDDED_DURABILITY: 'fast' }).embeddedDurability, 'fast');
  });

  it('refuses an unknown durability at start, naming the variable and the choices', () => {
    assert.throws(
      () => loadTrackingConfig({ LOGBOOK_EMBEDDED_DURABILITY: 'none' }),
      /Invalid configuration for tracking:[\s\S]*LOGBOOK_EMBEDDED_DURABILITY must be one of the following values: full, fast/,
    );
  });
});
