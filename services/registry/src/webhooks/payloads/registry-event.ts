import {
  ApprovalGivenV1,
  CommentCreatedV1,
  ContractEvent,
  ModelVersionCreatedV1,
  ModelVersionDeletedV1,
  ModelVersionRegistrationCompletedV1,
  ModelVersionRegistrationFailedV1,
  ModelVersionStageTransitionedV1,
  ModelVersionTagDeletedV1,
  ModelVersionTagSetV1,
  ModelVersionWithdrawnV1,
  RegisteredModelAliasDeletedV1,
  RegisteredModelAliasSetV1,
  RegisteredModelCreatedV1,
  RegisteredModelDeletedV1,
  RegisteredModelRenamedV1,
  RegisteredModelTagDeletedV1,
  RegisteredModelTagSetV1,
  RequestCancelledV1,
  RequestExpiredV1,
  RequestRejectedV1,
  RequestVoidedV1,
  TransitionAppliedV1,
  TransitionRequestedV1,
} from '@logbook/contracts';
import { Actor } from '@logbook/platform';

/** The registry's published events a webhook can hear of, `{type, data}` as their contracts give them. */
export type WebhookSourceEvent = ContractEvent<
  | typeof RegisteredModelCreatedV1
  | typeof RegisteredModelRenamedV1
  | typeof RegisteredModelDeletedV1
  | typeof RegisteredModelTagSetV1
  | typeof RegisteredModelTagDeletedV1
  | typeof RegisteredModelAliasSetV1
  | typeof RegisteredModelAliasDeletedV1
  | typeof ModelVersionStageTransitionedV1
  | typeof ModelVersionWithdrawnV1
  | typeof ModelVersionCreatedV1
  | typeof ModelVersionRegistrationCompletedV1
  | typeof ModelVersionRegistrationFailedV1
  | typeof ModelVersionTagSetV1
  | typeof ModelVersionTagDeletedV1
  | typeof ModelVersionDeletedV1
  | typeof CommentCreatedV1
  | typeof TransitionRequestedV1
  | typeof ApprovalGivenV1
  | typeof RequestRejectedV1
  | typeof RequestCancelledV1
  | typeof RequestExpiredV1
  | typeof RequestVoidedV1
  | typeof TransitionAppliedV1
>;

export const WEBHOOK_SOURCE_EVENT_TYPES: ReadonlySet<string> = new Set<WebhookSourceEvent['type']>([
  'RegisteredModelCreated',
  'RegisteredModelRenamed',
  'RegisteredModelDeleted',
  'RegisteredModelTagSet',
  'RegisteredModelTagDeleted',
  'RegisteredModelAliasSet',
  'RegisteredModelAliasDeleted',
  'ModelVersionStageTransitioned',
  'ModelVersionWithdrawn',
  'ModelVersionCreated',
  'ModelVersionRegistrationCompleted',
  'ModelVersionRegistrationFailed',
  'ModelVersionTagSet',
  'ModelVersionTagDeleted',
  'ModelVersionDeleted',
  'CommentCreated',
  'TransitionRequested',
  'ApprovalGiven',
  'RequestRejected',
  'RequestCancelled',
  'RequestExpired',
  'RequestVoided',
  'TransitionApplied',
]);

export const isWebhookSourceEvent = (event: { type: string }): event is WebhookSourceEvent =>
  WEBHOOK_SOURCE_EVENT_TYPES.has(event.type);

/** What every payload says of the event it comes from: which, who, for which request. */
export interface Provenance {
  eventId: string;
  eventType: string;
  actor: Actor;
  correlationId: string;
}
