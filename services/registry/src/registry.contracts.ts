import {
  CommentCreatedV1,
  CommentDeletedV1,
  CommentEditedV1,
  contractMapper,
  ModelVersionCreatedV1,
  ModelVersionDeletedV1,
  ModelVersionDescriptionUpdatedV1,
  ModelVersionNumberAssignedV1,
  ModelVersionRegistrationCompletedV1,
  ModelVersionRegistrationFailedV1,
  ModelVersionStageTransitionedV1,
  ModelVersionTagDeletedV1,
  ModelVersionTagSetV1,
  ModelVersionWithdrawnV1,
  PolicyCreatedV1,
  PolicyDeletedV1,
  PolicyUpdatedV1,
  publish,
  RegisteredModelAliasDeletedV1,
  RegisteredModelAliasSetV1,
  RegisteredModelCreatedV1,
  RegisteredModelDeletedV1,
  RegisteredModelDescriptionUpdatedV1,
  RegisteredModelRenamedV1,
  RegisteredModelTagDeletedV1,
  RegisteredModelTagSetV1,
  TransitionRequestedV1,
  ApprovalGivenV1,
  RequestRejectedV1,
  RequestCancelledV1,
  RequestExpiredV1,
  RequestVoidedV1,
  TransitionAppliedV1,
  TransitionRequestCommandAcceptedV1,
  TransitionRequestCommandRefusedV1,
  WebhookCreatedV1,
  WebhookDeletedV1,
  WebhookPausedV1,
  WebhookResumedV1,
  WebhookUpdatedV1,
} from '@logbook/contracts';
import { CommentEvent } from './comments/comment.events';
import { PolicyEvent } from './governance/policy.events';
import { ModelVersionEvent } from './model-versions/model-version.events';
import { RegisteredModelEvent } from './registered-models/registered-model.events';
import { TransitionRequestCommandEvent } from './transition-requests/transition-request-command.events';
import { TransitionRequestEvent } from './transition-requests/transition-request.events';
import { WebhookCreated, WebhookEvent, WebhookUpdated } from './webhooks/webhook.events';

/** A new webhook without its secret or Authorization header: only whether it has them. */
function webhookCreated({ secretCiphertext, authorizationCiphertext, ...data }: WebhookCreated['data']) {
  return { ...data, hasSecret: secretCiphertext !== null, hasAuthorization: authorizationCiphertext !== null };
}

/** A webhook's changes without secrets: whether the secret or the Authorization header changed, and to what kind. */
function webhookUpdated({ webhookId, changes, secret, time }: WebhookUpdated['data']) {
  const { authorizationCiphertext, ...fields } = changes;
  return {
    webhookId,
    ...fields,
    ...(authorizationCiphertext === undefined ? {} : { hasAuthorization: authorizationCiphertext !== null }),
    secretChanged: secret !== null,
    ...(secret ? { hasSecret: secret.ciphertext !== null } : {}),
    previousSecretUntil: secret?.previousUntil ?? null,
    time,
  };
}

/**
 * How the registry's events leave the service: each domain event as the contract other services read.
 * The compiler checks each domain shape against its contract; when they part, map the fields here.
 */
export const registryToContract = contractMapper<
  | RegisteredModelEvent
  | ModelVersionEvent
  | CommentEvent
  | PolicyEvent
  | TransitionRequestEvent
  | TransitionRequestCommandEvent
  | WebhookEvent
>({
  RegisteredModelCreated: (data) => publish(RegisteredModelCreatedV1, data),
  RegisteredModelRenamed: (data) => publish(RegisteredModelRenamedV1, data),
  RegisteredModelDescriptionUpdated: (data) => publish(RegisteredModelDescriptionUpdatedV1, data),
  RegisteredModelDeleted: (data) => publish(RegisteredModelDeletedV1, data),
  RegisteredModelTagSet: (data) => publish(RegisteredModelTagSetV1, data),
  RegisteredModelTagDeleted: (data) => publish(RegisteredModelTagDeletedV1, data),
  RegisteredModelAliasSet: (data) => publish(RegisteredModelAliasSetV1, data),
  RegisteredModelAliasDeleted: (data) => publish(RegisteredModelAliasDeletedV1, data),
  ModelVersionNumberAssigned: (data) => publish(ModelVersionNumberAssignedV1, data),
  ModelVersionStageTransitioned: (data) => publish(ModelVersionStageTransitionedV1, data),
  ModelVersionWithdrawn: (data) => publish(ModelVersionWithdrawnV1, data),
  ModelVersionCreated: (data) => publish(ModelVersionCreatedV1, data),
  ModelVersionRegistrationCompleted: (data) => publish(ModelVersionRegistrationCompletedV1, data),
  ModelVersionRegistrationFailed: (data) => publish(ModelVersionRegistrationFailedV1, data),
  ModelVersionDescriptionUpdated: (data) => publish(ModelVersionDescriptionUpdatedV1, data),
  ModelVersionTagSet: (data) => publish(ModelVersionTagSetV1, data),
  ModelVersionTagDeleted: (data) => publish(ModelVersionTagDeletedV1, data),
  ModelVersionDeleted: (data) => publish(ModelVersionDeletedV1, data),
  CommentCreated: (data) => publish(CommentCreatedV1, data),
  CommentEdited: (data) => publish(CommentEditedV1, data),
  CommentDeleted: (data) => publish(CommentDeletedV1, data),
  PolicyCreated: (data) => publish(PolicyCreatedV1, data),
  PolicyUpdated: (data) => publish(PolicyUpdatedV1, data),
  PolicyDeleted: (data) => publish(PolicyDeletedV1, data),
  TransitionRequested: (data) => publish(TransitionRequestedV1, data),
  ApprovalGiven: (data) => publish(ApprovalGivenV1, data),
  RequestRejected: (data) => publish(RequestRejectedV1, data),
  RequestCancelled: (data) => publish(RequestCancelledV1, data),
  RequestExpired: (data) => publish(RequestExpiredV1, data),
  RequestVoided: (data) => publish(RequestVoidedV1, data),
  TransitionApplied: (data) => publish(TransitionAppliedV1, data),
  TransitionRequestCommandAccepted: (data) => publish(TransitionRequestCommandAcceptedV1, data),
  TransitionRequestCommandRefused: (data) => publish(TransitionRequestCommandRefusedV1, data),
  WebhookCreated: (data) => publish(WebhookCreatedV1, webhookCreated(data)),
  WebhookUpdated: (data) => publish(WebhookUpdatedV1, webhookUpdated(data)),
  WebhookDeleted: (data) => publish(WebhookDeletedV1, data),
  WebhookPaused: (data) => publish(WebhookPausedV1, data),
  WebhookResumed: (data) => publish(WebhookResumedV1, data),
});
