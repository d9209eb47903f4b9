import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IsNotEmpty, IsString } from 'class-validator';
import { loadConfig, serviceConfig, ServiceEnvironment } from './config';

class ExampleEnvironment extends ServiceEnvironment {
  @IsString()
  @IsNotEmpty()
  EXAMPLE_SETTING = 'default';
}

describe('the environment every service shares', () => {
  it('is read by a service environment that extends it, with its own settings', () => {
    const raw = loadConfig('example', ExampleEnvironment, {
      LOGBOOK_MODE: 'distributed',
      DATABASE_URL: 'postgres://db/logbook',
      KAFKA_BROKERS: 'a:9092,b:9092',
      LOGBOOK_DB_POOL_SIZE: '4',
      LOGBOOK_KAFKA_NAMESPACE: 'staging-2',
    });
    assert.equal(raw.EXAMPLE_SETTING, 'default');
    assert.deepEqual(serviceConfig(raw, 'example'), {
      mode: 'distributed',
      databaseUrl: 'postgres://db/logbook',
      kafkaBrokers: ['a:9092', 'b:9092'],
      dataDir: './.logbook',
      embeddedDurability: 'full',
      embeddedSharedBuffersMb: 16,
      dbPoolSize: 4,
      dbIdleInTransactionTimeoutMs: 60_000,
      kafkaClientId: 'logbook-example',
      kafkaNamespace: 'staging-2',
    });
  });

  it('refuses the distributed shape without a database and brokers, naming both', () => {
    assert.throws(
      () => loadConfig('example', ExampleEnvironment, { LOGBOOK_MODE: 'distributed', EXAMPLE_SETTING: '' }),
      (error: Error) => {
        assert.deepEqual(error.message.split('\n').slice(1).sort(), [
          '  - DATABASE_URL: DATABASE_URL must be a postgres:// connection string',
          '  - EXAMPLE_SETTING: EXAMPLE_SETTING should not be empty',
          '  - KAFKA_BROKERS: KAFKA_BROKERS must be host:port[,host:port...]',
        ]);
        return true;
      },
    );
  });

  it('refuses a Kafka namespace that is not a plain name', () => {
    for (const namespace of ['', 'a.b', 'a/b', 'x'.repeat(65)]) {
      assert.throws(
        () => loadConfig('example', ExampleEnvironment, { LOGBOOK_KAFKA_NAMESPACE: namespace }),
        /LOGBOOK_KAFKA_NAMESPACE must be 1 to 64 letters, digits, underscores or dashes/,
        namespace,
      );
    }
  });
});
