import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
      kafka: { brokers: ['a:9092', 'b:9092'], topics: { partitions: 3 }, consumerSessionTimeoutMs: 10_000 },
      dataDir: './.logbook',
      embeddedDatabase: 'auto',
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

  it('refuses an embedded database engine it does not know, naming the setting', () => {
    assert.throws(
      () => loadConfig('example', ExampleEnvironment, { EXAMPLE_SETTING: 'x', LOGBOOK_EMBEDDED_DATABASE: 'sqlite' }),
      /LOGBOOK_EMBEDDED_DATABASE must be one of the following values: auto, postgres, pglite/,
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

  const distributed = {
    LOGBOOK_MODE: 'distributed',
    DATABASE_URL: 'postgres://db/logbook',
    KAFKA_BROKERS: 'k1:9093,k2:9093,k3:9093',
  };
  const certificate = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
  const privateKey = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----';

  it('reaches Kafka over TLS with SASL and lays topics out as configured', () => {
    const raw = loadConfig('example', ExampleEnvironment, {
      ...distributed,
      KAFKA_TLS_CA: certificate,
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'logbook',
      KAFKA_SASL_PASSWORD: 'secret',
      LOGBOOK_KAFKA_PARTITIONS: '12',
      LOGBOOK_KAFKA_REPLICATION_FACTOR: '3',
      LOGBOOK_KAFKA_MIN_INSYNC_REPLICAS: '2',
    });
    assert.deepEqual(serviceConfig(raw, 'example').kafka, {
      brokers: ['k1:9093', 'k2:9093', 'k3:9093'],
      tls: { ca: certificate },
      sasl: { mechanism: 'scram-sha-512', username: 'logbook', password: 'secret' },
      topics: { partitions: 12, replicationFactor: 3, minInsyncReplicas: 2 },
      consumerSessionTimeoutMs: 10_000,
    });
  });

  it('takes TLS with the system authorities, or a client certificate, when asked', () => {
    const systemTrust = loadConfig('example', ExampleEnvironment, { ...distributed, KAFKA_TLS: 'true' });
    assert.deepEqual(serviceConfig(systemTrust, 'example').kafka.tls, {});
    const mutual = loadConfig('example', ExampleEnvironment, {
      ...distributed,
      KAFKA_TLS_CERT: certificate,
      KAFKA_TLS_KEY: privateKey,
    });
    assert.deepEqual(serviceConfig(mutual, 'example').kafka.tls, { cert: certificate, key: privateKey });
  });

  it('refuses Kafka security settings that cannot work, naming each', () => {
    assert.throws(
      () =>
        loadConfig('example', ExampleEnvironment, {
          ...distributed,
          KAFKA_TLS: 'yes',
          KAFKA_TLS_CA: 'not a certificate',
          KAFKA_TLS_CERT: certificate,
          KAFKA_SASL_MECHANISM: 'gssapi',
          LOGBOOK_KAFKA_PARTITIONS: '0',
        }),
      (error: Error) => {
        assert.deepEqual(error.message.split('\n').slice(1).sort(), [
          '  - KAFKA_SASL_MECHANISM: KAFKA_SASL_MECHANISM must be one of plain, scram-sha-256, scram-sha-512',
          '  - KAFKA_SASL_PASSWORD: KAFKA_SASL_PASSWORD is required with KAFKA_SASL_MECHANISM',
          '  - KAFKA_SASL_USERNAME: KAFKA_SASL_USERNAME is required with KAFKA_SASL_MECHANISM',
          '  - KAFKA_TLS: KAFKA_TLS must be one of the following values: true, false',
          '  - KAFKA_TLS_CA: KAFKA_TLS_CA must hold PEM certificates',
          '  - KAFKA_TLS_KEY: KAFKA_TLS_KEY must hold a PEM private key when KAFKA_TLS_CERT is set',
          '  - LOGBOOK_KAFKA_PARTITIONS: LOGBOOK_KAFKA_PARTITIONS must not be less than 1',
        ]);
        return true;
      },
    );
  });
});

describe('settings given as files (NAME_FILE)', () => {
  const folder = mkdtempSync(join(tmpdir(), 'logbook-config-'));
  const file = (name: string, content: string) => {
    const path = join(folder, name);
    writeFileSync(path, content);
    return path;
  };

  it("reads a declared setting's value from the file NAME_FILE names, without its trailing newline", () => {
    const raw = loadConfig('example', ExampleEnvironment, {
      LOGBOOK_MODE: 'distributed',
      DATABASE_URL_FILE: file('database-url', 'postgres://user:p%40ss@db/logbook\n'),
      KAFKA_BROKERS: 'k:9092',
      EXAMPLE_SETTING_FILE: file('example', 'two\nlines\n'),
    });
    assert.equal(raw.DATABASE_URL, 'postgres://user:p%40ss@db/logbook');
    assert.equal(raw.EXAMPLE_SETTING, 'two\nlines');
  });

  it('validates what the file holds as it would the variable', () => {
    assert.throws(
      () => loadConfig('example', ExampleEnvironment, { EXAMPLE_SETTING_FILE: file('empty', '\n') }),
      /EXAMPLE_SETTING: EXAMPLE_SETTING should not be empty/,
    );
  });

  it('refuses a setting given both ways, and a file it cannot read', () => {
    assert.throws(
      () =>
        loadConfig('example', ExampleEnvironment, {
          EXAMPLE_SETTING: 'inline',
          EXAMPLE_SETTING_FILE: file('twice', 'from file'),
          LOGBOOK_DB_POOL_SIZE_FILE: join(folder, 'missing'),
        }),
      (error: Error) => {
        assert.match(error.message, /EXAMPLE_SETTING: set EXAMPLE_SETTING or EXAMPLE_SETTING_FILE, not both/);
        assert.match(error.message, /LOGBOOK_DB_POOL_SIZE_FILE: cannot read .*missing: ENOENT/);
        return true;
      },
    );
  });

  it('leaves alone a variable named like a file setting when nothing of that name is declared', () => {
    const raw = loadConfig('example', ExampleEnvironment, { UNDECLARED_FILE: join(folder, 'missing') });
    assert.equal(raw.EXAMPLE_SETTING, 'default');
  });
});
