import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Admin } from 'kafkajs';
import pino from 'pino';
import { testInfra, uniqueName } from '@logbook/testing';
import { createKafka, ensureTopics } from './kafka';

/** Topics as Logbook lays them out on the test run's one broker. */
describe('the topics Logbook creates', () => {
  let admin: Admin;

  before(async () => {
    admin = createKafka(testInfra().kafka, 'kafka-topics-spec', pino({ level: 'silent' })).admin();
    await admin.connect();
  });

  after(async () => {
    await admin.disconnect();
  });

  it('are replicated as far as the cluster has brokers, with as many in sync required', async () => {
    const topic = uniqueName('layout');
    await ensureTopics(admin, [topic], { partitions: 2 });
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    assert.equal(topics[0].partitions.length, 2);
    assert.ok(topics[0].partitions.every((partition) => partition.replicas.length === 1));
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: 2, name: topic, configNames: ['min.insync.replicas'] }],
    });
    assert.equal(resources[0].configEntries[0].configValue, '1');
  });

  it('are refused, naming the setting and creating nothing, when more replicas are asked than there are brokers', async () => {
    const topic = uniqueName('too-many-replicas');
    await assert.rejects(
      ensureTopics(admin, [topic], { partitions: 1, replicationFactor: 3 }),
      /LOGBOOK_KAFKA_REPLICATION_FACTOR is 3 but the cluster has 1 broker\(s\)/,
    );
    assert.ok(!(await admin.listTopics()).includes(topic));
  });
});
