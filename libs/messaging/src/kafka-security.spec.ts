import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { loadConfig, serviceConfig, ServiceEnvironment } from '@logbook/platform';
import { PrivateKafka, readTopics, trackingRunEvent, uniqueName } from '@logbook/testing';
import { createKafka } from './kafka';
import { KafkaEventPublisher } from './publisher';
import { eventTopic, inNamespace } from './topics';

const silent = pino({ level: 'silent' });

/**
 * A broker with a SASL_SSL listener (deploy/local/infra.sh KAFKA_SECURE_PORT): the services' settings,
 * read as a service reads them (CA and password from files), publish over TLS with SASL, and a wrong
 * password or an untrusted certificate is refused.
 */
describe('Kafka over TLS with SASL', () => {
  let kafka: PrivateKafka;
  let passwordFile: string;

  before(async () => {
    kafka = await PrivateKafka.create(1, { secure: true });
    await kafka.start();
    const folder = mkdtempSync(join(tmpdir(), 'logbook-kafka-secret-'));
    passwordFile = join(folder, 'password');
    writeFileSync(passwordFile, `${kafka.secure.password}\n`);
  });

  after(async () => {
    await kafka?.destroy();
  });

  const clusterFrom = (env: NodeJS.ProcessEnv) =>
    serviceConfig(
      loadConfig('spec', ServiceEnvironment, {
        LOGBOOK_MODE: 'distributed',
        DATABASE_URL: 'postgres://unused/none',
        KAFKA_BROKERS: kafka.secure.brokers.join(','),
        ...env,
      }),
      'spec',
    ).kafka;

  const publishOne = async (cluster: ReturnType<typeof clusterFrom>, namespace: string) => {
    const publisher = new KafkaEventPublisher({
      cluster,
      service: 'spec',
      streamTypes: ['run'],
      namespace,
      logger: silent,
    });
    try {
      const sent = trackingRunEvent('RunCreated', {});
      await publisher.publish([sent]);
      return sent;
    } finally {
      await publisher.close();
    }
  };

  for (const mechanism of ['scram-sha-512', 'plain']) {
    it(`publishes with ${mechanism}, the CA and the password read from files`, async () => {
      const cluster = clusterFrom({
        KAFKA_TLS_CA_FILE: kafka.secure.caFile,
        KAFKA_SASL_MECHANISM: mechanism,
        KAFKA_SASL_USERNAME: kafka.secure.username,
        KAFKA_SASL_PASSWORD_FILE: passwordFile,
      });
      const namespace = uniqueName('secure');
      const sent = await publishOne(cluster, namespace);
      const reader = createKafka(cluster, 'kafka-security-spec', silent);
      const [received] = await readTopics(reader, [inNamespace(namespace, eventTopic('spec', 'run'))], 1);
      assert.equal(JSON.parse(received.value).eventId, sent.eventId);
    });
  }

  it('is refused with a wrong password', async () => {
    const cluster = clusterFrom({
      KAFKA_TLS_CA_FILE: kafka.secure.caFile,
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: kafka.secure.username,
      KAFKA_SASL_PASSWORD: 'not the password',
    });
    await assert.rejects(
      publishOne(cluster, uniqueName('secure')),
      /SASL SCRAM SHA512 authentication failed|Authentication failed/i,
    );
  });

  it("is refused when the broker's certificate does not chain to a trusted authority", async () => {
    const cluster = clusterFrom({
      KAFKA_TLS: 'true',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: kafka.secure.username,
      KAFKA_SASL_PASSWORD_FILE: passwordFile,
    });
    const refused = createKafka(cluster, 'kafka-security-spec', silent).admin();
    await assert.rejects(refused.connect(), /self[- ]signed certificate|unable to verify|certificate/i);
  });
});
