/** Helpers for specs and test suites only: production code never imports this lib. */
export { spec } from './given-when-then';
export { createTestDatabase, dropSchema, kafkaCluster, testInfra, uniqueSchema } from './infra';
export {
  RecordingPublisher,
  appendTo,
  appliedRows,
  createSchema,
  createStore,
  deleteGroup,
  deleteTopics,
  gatedDatabase,
  groupCaughtUp,
  idsByStream,
  logger,
  messagingTestbed,
  readTopics,
  recordApplied,
  topicSize,
  eventOnTheWire,
  trackingRunEvent,
  uniqueName,
  waitFor,
  waitPublishable,
} from './messaging';
export { eventStoreMigrations, recordAsLegacyRunner } from './migrations';
export { freePort, TcpProxy } from './net';
export { PrivateKafka } from './private-kafka';
export { PrivatePostgres } from './private-postgres';
export { PrivateS3 } from './private-s3';
export { assertSyntaxError } from './search';
export {
  databricksSignatureValid,
  mlflowSignatureValid,
  ReceivedDelivery,
  ReceiverAnswer,
  WebhookReceiver,
} from './webhook-receiver';
