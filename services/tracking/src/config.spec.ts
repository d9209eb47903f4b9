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

  it('reads whole-number settings, and names one problem for each variable that is wrong', () => {
    assert.equal(loadTrackingConfig({ LOGBOOK_DB_POOL_SIZE: '32' }).dbPoolSize, 32);
    assert.throws(
      () => loadTrackingConfig({ LOGBOOK_DB_POOL_SIZE: '-1', LOGBOOK_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: 'soon' }),
      (error: Error) => {
        assert.deepEqual(error.message.split('\n').slice(1), [
          '  - LOGBOOK_DB_POOL_SIZE: LOGBOOK_DB_POOL_SIZE must not be less than 1',
          '  - LOGBOOK_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: LOGBOOK_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS must be an integer number',
        ]);
        return true;
      },
    );
  });
});
