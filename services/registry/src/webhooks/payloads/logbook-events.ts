import { LogbookWebhookEvent } from '../webhook-catalog';
import { PythonValue } from './python-json';
import { WebhookSourceEvent } from './registry-event';

/**
 * What one event tells a webhook about one model: the model's name then, the version (as a string, as
 * MLflow writes versions) when it is about one, the event's own fields and a sentence for chat tools.
 */
export interface ModelEventDelivery<Key extends string = string> {
  eventKey: Key;
  modelName: string;
  version: string | null;
  fields: { readonly [field: string]: PythonValue };
  text: string;
}

type Person = { id: string; name: string };
type RequestTarget = { kind: 'stage'; stage: string } | { kind: 'alias'; alias: string };

const person = ({ id, name }: Person) => ({ id, name });
const versionsText = (versions: readonly number[]) => versions.map(String).join(', ');
const said = (comment: string | null) => (comment ? `: "${comment}"` : '.');

/** The fields saying what a request asks for: a stage, or the version an alias is to point at. */
const targetFields = (target: RequestTarget) => ({
  to_stage: target.kind === 'stage' ? target.stage : null,
  alias: target.kind === 'alias' ? target.alias : null,
});

const targetText = (target: RequestTarget, version: string, fromStage?: string) =>
  target.kind === 'stage'
    ? `version ${version}${fromStage ? ` from ${fromStage}` : ''} to ${target.stage}`
    : `alias '${target.alias}' to version ${version}`;

/** Logbook's further events (beyond MLflow's and Databricks'), from one registry event. */
export function logbookDeliveries(event: WebhookSourceEvent): ModelEventDelivery<LogbookWebhookEvent>[] {
  const about = (
    eventKey: LogbookWebhookEvent,
    modelName: string,
    version: number | null,
    fields: ModelEventDelivery['fields'],
    text: string,
  ): ModelEventDelivery<LogbookWebhookEvent> => ({
    eventKey,
    modelName,
    version: version === null ? null : String(version),
    fields,
    text,
  });
  switch (event.type) {
    case 'RegisteredModelRenamed': {
      const { name, previousName } = event.data;
      const text = `Registered model '${previousName}' was renamed to '${name}'.`;
      return [about('registered_model.renamed', name, null, { previous_name: previousName }, text)];
    }
    case 'RegisteredModelDeleted': {
      const { name } = event.data;
      return [about('registered_model.deleted', name, null, {}, `Registered model '${name}' was deleted.`)];
    }
    case 'ModelVersionRegistrationCompleted': {
      const { name, version, digest, storageLocation } = event.data;
      const text = `Registered model '${name}' version ${version} is ready.`;
      const fields = { digest, storage_location: storageLocation };
      return [about('model_version.ready', name, version, fields, text)];
    }
    case 'ModelVersionRegistrationFailed': {
      const { name, version, statusMessage } = event.data;
      const text = `Registered model '${name}' version ${version} failed registration: ${statusMessage}`;
      return [about('model_version.registration_failed', name, version, { status_message: statusMessage }, text)];
    }
    case 'ModelVersionStageTransitioned': {
      const { name, version, stage, previousStage, archivedVersions, requestId } = event.data;
      const archived = archivedVersions.length > 0 ? ` Version(s) ${versionsText(archivedVersions)} archived.` : '';
      const text = `Registered model '${name}' version ${version} transitioned from ${previousStage} to ${stage}.${archived}`;
      const fields = {
        from_stage: previousStage,
        to_stage: stage,
        archived_versions: archivedVersions.map(String),
        request_id: requestId ?? null,
      };
      return [about('model_version.stage_transitioned', name, version, fields, text)];
    }
    case 'ModelVersionDeleted': {
      const { name, version } = event.data;
      const text = `Registered model '${name}' version ${version} was deleted.`;
      return [about('model_version.deleted', name, version, {}, text)];
    }
    case 'RegisteredModelAliasSet': {
      const { name, alias, version, previousVersion, requestId } = event.data;
      const moved = previousVersion === null ? 'now points to' : `moved from version ${previousVersion} to`;
      const text = `Alias '${alias}' of registered model '${name}' ${moved} version ${version}.`;
      const fields = {
        alias,
        from_version: previousVersion === null ? null : String(previousVersion),
        to_version: String(version),
        request_id: requestId ?? null,
      };
      return [about('model_version_alias.set', name, version, fields, text)];
    }
    case 'RegisteredModelAliasDeleted': {
      const { name, alias, version } = event.data;
      const text = `Alias '${alias}' of registered model '${name}' (version ${version}) was deleted.`;
      return [about('model_version_alias.deleted', name, version, { alias, version_deleted: false }, text)];
    }
    case 'ModelVersionWithdrawn': {
      const { name, version, removedAliases } = event.data;
      return removedAliases.map((alias) => {
        const text = `Alias '${alias}' of registered model '${name}' was removed with version ${version}, which was deleted.`;
        return about('model_version_alias.deleted', name, version, { alias, version_deleted: true }, text);
      });
    }
    case 'TransitionRequested': {
      const { name, version, requestId, target, fromStage, requester, comment } = event.data;
      const asked = targetText(target, String(version), fromStage);
      const text = `${requester.name} requested to move registered model '${name}' ${asked}${said(comment)}`;
      const fields = {
        request_id: requestId,
        ...targetFields(target),
        from_stage: fromStage,
        requester: person(requester),
        comment,
        digest: event.data.digest,
        policy: event.data.policy && { name: event.data.policy.name, version: event.data.policy.version },
        outcome: event.data.evaluation?.outcome ?? null,
        expires_at: event.data.expiresAt,
      };
      return [about('transition_request.created', name, version, fields, text)];
    }
    case 'ApprovalGiven': {
      const { name, version, requestId, approver, comment } = event.data;
      const text = `${approver.name} approved request ${requestId} for registered model '${name}' version ${version}${said(comment)}`;
      const fields = {
        request_id: requestId,
        approver: person(approver),
        roles: event.data.roles,
        comment,
        digest: event.data.digest,
        outcome: event.data.evaluation?.outcome ?? null,
      };
      return [about('transition_request.approved', name, version, fields, text)];
    }
    case 'RequestRejected': {
      const { name, version, requestId, rejectedBy, comment } = event.data;
      const text = `${rejectedBy.name} rejected request ${requestId} for registered model '${name}' version ${version}${said(comment)}`;
      const fields = { request_id: requestId, rejected_by: person(rejectedBy), comment };
      return [about('transition_request.rejected', name, version, fields, text)];
    }
    case 'RequestCancelled': {
      const { name, version, requestId, cancelledBy, comment } = event.data;
      const text = `${cancelledBy.name} cancelled request ${requestId} for registered model '${name}' version ${version}${said(comment)}`;
      const fields = { request_id: requestId, cancelled_by: person(cancelledBy), comment };
      return [about('transition_request.cancelled', name, version, fields, text)];
    }
    case 'RequestExpired': {
      const { name, version, requestId, expiresAt } = event.data;
      const text = `Request ${requestId} for registered model '${name}' version ${version} expired without the approvals it needed.`;
      return [
        about('transition_request.expired', name, version, { request_id: requestId, expires_at: expiresAt }, text),
      ];
    }
    case 'RequestVoided': {
      const { name, version, requestId, reason, digest } = event.data;
      const text = `Request ${requestId} for registered model '${name}' version ${version} is void: ${reason}`;
      return [about('transition_request.voided', name, version, { request_id: requestId, reason, digest }, text)];
    }
    case 'TransitionApplied': {
      const { name, version, requestId, target, breakGlass } = event.data;
      const how = breakGlass ? ` by ${breakGlass.principal.name} (break glass: ${breakGlass.reason})` : '';
      const text = `Request ${requestId} was applied${how}: registered model '${name}' ${targetText(target, String(version))}.`;
      const fields = {
        request_id: requestId,
        ...targetFields(target),
        archive_existing_versions: event.data.archiveExistingVersions,
        outcome: event.data.evaluation?.outcome ?? null,
        break_glass: breakGlass && { principal: person(breakGlass.principal), reason: breakGlass.reason },
      };
      return [about('transition_request.applied', name, version, fields, text)];
    }
    case 'CommentCreated': {
      const { name, version, commentId, comment, userId } = event.data;
      const text = `${userId} commented on registered model '${name}' version ${version}.`;
      const fields = { comment, comment_id: commentId, user_id: userId };
      return [about('comment.created', name, version, fields, text)];
    }
    default:
      return [];
  }
}
