import { AuditTrailParts, startAuditTrail, VerificationResult, verifyAuditOf } from '@logbook/audit';
import { REGISTRY_PRODUCER, REGISTRY_TOPICS } from '@logbook/contracts';
import { EventStore } from '@logbook/eventstore';
import { Announcements, ContractMapper } from '@logbook/messaging';
import { Database, Logger, statusReadiness, systemActor } from '@logbook/platform';
import { ServiceDefinition, ServiceRuntime, startServiceRuntime, SubscriptionDefinition } from '@logbook/runtime';
import { REGISTRY_SCHEMA, registryMigrations } from '../migrations/001_initial';
import { recordRegistryAudit } from './audit/registry-audit';
import { activitiesProjection } from './activities/activities.projection';
import { commentStream } from './comments/comment.decider';
import { RegistryConfig } from './config';
import { applyPolicies } from './governance/policies-file';
import { policiesProjection } from './governance/policies.projection';
import { policyStream } from './governance/policy.decider';
import { ARTIFACTS_TOPICS, registrationResultsConsumer } from './integration/registration-results.consumer';
import { TRACKING_TOPICS, trackingEventsConsumer } from './integration/tracking-events.consumer';
import { modelVersionStream } from './model-versions/model-version.decider';
import { registeredModelStream } from './registered-models/registered-model.decider';
import { registryToContract } from './registry.contracts';
import { registryProjection } from './registry.projection';
import { transitionRequestCommandStream } from './transition-requests/transition-request-command.decider';
import { CommandFeed } from './transition-requests/transition-request-commands.consumer';
import { transitionRequestStream } from './transition-requests/transition-request.decider';
import { transitionRequestsProjection } from './transition-requests/transition-requests.projection';
import { WebhookDeliveryWorker } from './webhooks/delivery/delivery-worker';
import { webhookFanOut } from './webhooks/delivery/fan-out';
import { reportWebhookBacklog } from './webhooks/delivery/delivery-metrics';
import { WebhookHttpSender } from './webhooks/delivery/http-sender';
import { checkWebhookSecretsReadable } from './webhooks/webhook-secrets';
import { webhookStream } from './webhooks/webhook.decider';
import { webhooksProjection } from './webhooks/webhooks.projection';

export const registryProjections = [
  registryProjection,
  activitiesProjection,
  policiesProjection,
  transitionRequestsProjection,
  webhooksProjection,
];
export const registryStreams = [
  registeredModelStream,
  modelVersionStream,
  commentStream,
  policyStream,
  transitionRequestStream,
  transitionRequestCommandStream,
  webhookStream,
];

export const registryService: ServiceDefinition = {
  name: REGISTRY_PRODUCER,
  schema: REGISTRY_SCHEMA,
  migrations: registryMigrations,
  store: { projections: registryProjections, audit: recordRegistryAudit },
  streamTypes: REGISTRY_TOPICS.map((topic) => topic.streamType),
  toContract: registryToContract,
};

/** Everything the registry module runs on: its database, its event log, and the relay that publishes it. */
export interface RegistryRuntime extends ServiceRuntime, AuditTrailParts {
  config: RegistryConfig;
  logger: Logger;
  /** How the log's events are published (what an in-process subscriber over the log must apply too). */
  toContract: typeof registryToContract;
  /** Told of each registration verdict this process applied; what a create waiting for its verdict listens to. */
  registrationVerdicts: Announcements;
  /** How long a create waits for its verdict: none when nothing feeds the registry verdicts. */
  registrationWaitMs: number;
  /** Where the transition-request commands are consumed from: Kafka with the Kafka feeds, else nowhere. */
  commandFeed: CommandFeed | null;
  /** Sends the queued webhook deliveries once the module starts it (it records pauses through the API's service). */
  webhookDelivery: WebhookDeliveryWorker;
}

/**
 * Where the registry learns of runs and logged models (lineage) and of the artifacts service's verdicts
 * on new versions: Kafka, or, embedded, the two services' logs read through their contract mappings.
 */
export type RegistryFeeds =
  | { kind: 'kafka' }
  | {
      kind: 'in-process';
      tracking: { store: EventStore; toContract: ContractMapper };
      artifacts: { store: EventStore; toContract: ContractMapper };
    };

/** The registry's own log, fanned out into webhook deliveries, in both shapes. */
function webhookSubscription(store: EventStore, delivery: WebhookDeliveryWorker): SubscriptionDefinition {
  return {
    kind: 'in-process',
    consumer: webhookFanOut(() => delivery.wake()),
    source: store,
    toContract: registryToContract,
  };
}

function subscriptions(feeds: RegistryFeeds, store: EventStore, verdicts: Announcements): SubscriptionDefinition[] {
  const tracking = trackingEventsConsumer();
  const results = registrationResultsConsumer(store, () => verdicts.handled());
  if (feeds.kind === 'kafka') {
    return [
      { kind: 'kafka', consumer: tracking, topics: TRACKING_TOPICS },
      { kind: 'kafka', consumer: results, topics: ARTIFACTS_TOPICS },
    ];
  }
  return [
    { kind: 'in-process', consumer: tracking, source: feeds.tracking.store, toContract: feeds.tracking.toContract },
    { kind: 'in-process', consumer: results, source: feeds.artifacts.store, toContract: feeds.artifacts.toContract },
  ];
}

/**
 * `feeds`: none for a registry that consumes nothing (its versions then stay PENDING_REGISTRATION, as
 * the API specs run it). `db`: a database the caller opened and closes (the embedded shape's shared one).
 */
export async function startRegistryRuntime(
  config: RegistryConfig,
  logger: Logger,
  feeds?: RegistryFeeds,
  db?: Database,
): Promise<RegistryRuntime> {
  const registrationVerdicts = new Announcements();
  let webhookDelivery!: WebhookDeliveryWorker;
  const runtime = await startServiceRuntime({
    service: registryService,
    config,
    logger,
    db,
    subscriptions: ({ db: database, store }) => {
      webhookDelivery = new WebhookDeliveryWorker(
        database,
        config.webhooks,
        new WebhookHttpSender(config.webhooks),
        logger.child({ component: 'webhook-delivery' }),
      );
      return [
        ...(feeds ? subscriptions(feeds, store, registrationVerdicts) : []),
        webhookSubscription(store, webhookDelivery),
      ];
    },
  });
  try {
    await checkWebhookSecretsReadable(runtime.db, config.webhooks.secretBox);
  } catch (error) {
    await runtime.close();
    throw error;
  }
  if (config.policies.length > 0) {
    const metadata = { now: Date.now(), actor: systemActor(REGISTRY_PRODUCER), requestId: 'policies-file' };
    try {
      const changed = await applyPolicies(runtime.store, config.policies, metadata);
      logger.info({ policies: config.policies.length, changed }, 'policies file applied');
    } catch (error) {
      await runtime.close();
      throw error;
    }
  }
  const stopReportingBacklog = reportWebhookBacklog(runtime.db);
  const audit = await startAuditTrail(
    {
      ...runtime,
      async close() {
        stopReportingBacklog();
        await webhookDelivery.stop();
        await runtime.close();
      },
    },
    config,
    { service: REGISTRY_PRODUCER, schema: REGISTRY_SCHEMA },
    logger,
  );
  return {
    ...runtime,
    ...audit,
    readinessChecks: [
      ...audit.readinessChecks,
      statusReadiness('webhook-delivery', () => webhookDelivery.status(), 'degrades'),
    ],
    webhookDelivery,
    config,
    logger,
    toContract: registryToContract,
    registrationVerdicts,
    registrationWaitMs: feeds ? config.registrationWaitMs : 0,
    commandFeed:
      feeds?.kind === 'kafka'
        ? { cluster: config.kafka, namespace: config.kafkaNamespace, clientId: config.kafkaClientId }
        : null,
  };
}

/** The registry database, migrated, and its event store, with nothing running: what its commands (rebuild) use. */
export async function openRegistryStore(config: RegistryConfig, logger: Logger) {
  return startServiceRuntime({ service: registryService, config, logger, role: 'command' });
}

/** Recomputes the registry's audit chain in its database and checks its signed checkpoints (`npm run audit:verify`). */
export async function verifyRegistryAudit(config: RegistryConfig, logger: Logger): Promise<VerificationResult> {
  return verifyAuditOf(await openRegistryStore(config, logger), REGISTRY_SCHEMA);
}

/**
 * The registry's migrated log with nothing running: what the artifacts service's in-process feed reads
 * when it has to start before the registry (each consumes the other's events).
 */
export async function openRegistryLog(config: RegistryConfig, logger: Logger, db: Database) {
  const { store } = await startServiceRuntime({ service: registryService, config, logger, db, role: 'command' });
  return { store, toContract: registryToContract };
}
