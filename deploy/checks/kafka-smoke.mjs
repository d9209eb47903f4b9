// Smoke check of a real Kafka broker with kafkajs (the client Logbook uses).
// Usage: KAFKA_BROKERS=127.0.0.1:9092 node deploy/checks/kafka-smoke.mjs
// Prints one line per step and `N passed, M failed`; exits 1 if any step failed.
import net from 'node:net';
import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';
import { assert, checklist } from './checklist.mjs';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs');
const kafkajsVersion = require('kafkajs/package.json').version;

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const suffix = randomUUID().slice(0, 8);
const topic = `smoke-${suffix}`;
const groupId = `smoke-group-${suffix}`;
const STEP_TIMEOUT_MS = 30_000;

const { step, finish } = checklist(STEP_TIMEOUT_MS);

// Raw ApiVersions v0 request: compares the broker's ranges with the highest version kafkajs implements.
// kafkajs sends min(its max, broker max) and never checks the broker's minimum (KIP-896 raised some minimums).
function apiVersions(hostPort) {
  const [host, port] = hostPort.split(':');
  const clientId = Buffer.from('logbook-smoke');
  const req = Buffer.alloc(4 + 2 + 2 + 4 + 2 + clientId.length);
  let o = req.writeInt32BE(req.length - 4, 0);
  o = req.writeInt16BE(18, o); // api_key ApiVersions
  o = req.writeInt16BE(0, o); // api_version
  o = req.writeInt32BE(42, o); // correlation_id
  o = req.writeInt16BE(clientId.length, o);
  clientId.copy(req, o);
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(port), host);
    let buf = Buffer.alloc(0);
    sock.setTimeout(10_000, () => sock.destroy(new Error('ApiVersions timed out')));
    sock.on('error', reject);
    sock.on('connect', () => sock.write(req));
    sock.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length < 4 || buf.length < 4 + buf.readInt32BE(0)) return;
      sock.end();
      const errorCode = buf.readInt16BE(8);
      if (errorCode !== 0) return reject(new Error(`ApiVersions error code ${errorCode}`));
      const count = buf.readInt32BE(10);
      const ranges = new Map();
      for (let i = 0, p = 14; i < count; i++, p += 6) {
        ranges.set(buf.readInt16BE(p), { min: buf.readInt16BE(p + 2), max: buf.readInt16BE(p + 4) });
      }
      resolve(ranges);
    });
  });
}

const kafka = new Kafka({
  clientId: 'logbook-smoke',
  brokers,
  logLevel: process.env.KAFKA_SMOKE_DEBUG ? logLevel.INFO : logLevel.NOTHING,
  retry: { retries: 8 },
});
const admin = kafka.admin();
const received = [];

console.log(`kafkajs ${kafkajsVersion} -> ${brokers.join(',')}, topic ${topic}`);

await step('ApiVersions: every API kafkajs implements is usable', async () => {
  const ranges = await apiVersions(brokers[0]);
  const { requests } = require('kafkajs/src/protocol/requests');
  const apiKeys = require('kafkajs/src/protocol/requests/apiKeys');
  const bad = [];
  const missing = [];
  for (const [name, def] of Object.entries(requests)) {
    if (!def.versions.length) continue;
    const range = ranges.get(apiKeys[name]);
    if (!range) {
      missing.push(name);
      continue;
    }
    const used = Math.min(Math.max(...def.versions.map(Number)), range.max);
    if (used < range.min) bad.push(`${name} uses v${used}, broker ${range.min}-${range.max}`);
  }
  assert(bad.length === 0, `INCOMPATIBLE: ${bad.join('; ')}`);
  return `${ranges.size} broker APIs${missing.length ? `; not offered: ${missing.join(', ')}` : ''}`;
});

await step('admin connect + describeCluster', async () => {
  await admin.connect();
  const cluster = await admin.describeCluster();
  assert(cluster.brokers.length >= 1, 'no brokers');
  return `${cluster.brokers.length} broker(s), controller ${cluster.controller}`;
});

await step('createTopics (2 partitions, waitForLeaders)', async () => {
  const created = await admin.createTopics({
    topics: [{ topic, numPartitions: 2, replicationFactor: 1 }],
    waitForLeaders: true,
  });
  assert(created, 'topic already existed');
});

await step('describeConfigs (topic)', async () => {
  const res = await admin.describeConfigs({
    resources: [{ type: 2, name: topic, configNames: ['cleanup.policy'] }],
    includeSynonyms: false,
  });
  const entry = res.resources[0].configEntries.find((e) => e.configName === 'cleanup.policy');
  assert(entry, 'cleanup.policy missing');
  return `cleanup.policy=${entry.configValue}`;
});

await step('createPartitions (to 3)', async () => {
  await admin.createPartitions({ topicPartitions: [{ topic, count: 3 }] });
  const meta = await admin.fetchTopicMetadata({ topics: [topic] });
  assert(meta.topics[0].partitions.length === 3, `partitions=${meta.topics[0].partitions.length}`);
});

await step('idempotent producer: 10 messages, acks=-1', async () => {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const res = await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `idempotent-${i}` })),
    });
    assert(
      res.every((r) => r.errorCode === 0),
      JSON.stringify(res),
    );
  } finally {
    await producer.disconnect();
  }
});

await step('transactional producer: send + commit', async () => {
  const producer = kafka.producer({ transactionalId: `smoke-tx-${suffix}`, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const tx = await producer.transaction();
    try {
      await tx.send({ topic, messages: [{ key: 'tx', value: 'transactional-0' }] });
      await tx.commit();
    } catch (err) {
      await tx.abort().catch(() => {});
      throw err;
    }
  } finally {
    await producer.disconnect();
  }
});

await step('fetchTopicOffsets (ListOffsets)', async () => {
  // The admin reads the last stable offset (read_committed); it moves past the transactional record only once
  // the coordinator has written the commit marker, which happens asynchronously after EndTxn.
  for (let attempt = 0; ; attempt++) {
    const offsets = await admin.fetchTopicOffsets(topic);
    const total = offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
    if (total >= 11) return `${total} offsets in ${offsets.length} partitions (10 + 1 transactional + marker)`;
    if (attempt >= 50) throw new Error(`only ${total} offsets`);
    await new Promise((r) => setTimeout(r, 100));
  }
});

await step('consumer group reads all 11 messages', async () => {
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  try {
    await new Promise((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ message }) => {
            received.push(message.value.toString());
            if (received.length >= 11) resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect(); // LeaveGroup; offsets are committed on disconnect
  }
  const expected = [...Array.from({ length: 10 }, (_, i) => `idempotent-${i}`), 'transactional-0'].sort();
  assert(JSON.stringify(received.sort()) === JSON.stringify(expected), `got ${received.length}: ${received}`);
});

await step('fetchOffsets (OffsetFetch) for the group', async () => {
  const [res] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const committed = res.partitions.filter((p) => Number(p.offset) > 0).length;
  assert(committed > 0, `no committed offsets: ${JSON.stringify(res.partitions)}`);
  return `${committed} partitions committed`;
});

await step('describeGroups + listGroups', async () => {
  const { groups } = await admin.describeGroups([groupId]);
  assert(groups[0].errorCode === 0, `errorCode ${groups[0].errorCode}`);
  const list = await admin.listGroups();
  assert(
    list.groups.some((g) => g.groupId === groupId),
    'group not listed',
  );
  return `state ${groups[0].state}`;
});

await step('deleteGroups', async () => {
  const [res] = await admin.deleteGroups([groupId]);
  assert(res.errorCode === 0, `errorCode ${res.errorCode}`);
});

await step('deleteTopicRecords (DeleteRecords)', async () => {
  await admin.deleteTopicRecords({ topic, partitions: [0, 1, 2].map((partition) => ({ partition, offset: '-1' })) });
  const offsets = await admin.fetchTopicOffsets(topic);
  assert(
    offsets.every((p) => p.low === p.high),
    JSON.stringify(offsets),
  );
});

await step('deleteTopics', async () => {
  await admin.deleteTopics({ topics: [topic] });
});

await admin.disconnect().catch(() => {});
finish();
