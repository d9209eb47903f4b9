import { RestBinding, service } from './rest-binding';

/**
 * Logbook's own gRPC methods (libs/contracts/proto/logbook/v1), for what MLflow declares no proto for:
 * Databricks' transition requests, comments and activities, and Logbook's governance, audit, delivery
 * ledger and history routes, each answered by the REST route it mirrors.
 */
export const LOGBOOK_REST_BINDINGS: [string, RestBinding][] = [
  ...service('logbook.v1.TransitionRequestService', {
    createTransitionRequest: ['POST', '/mlflow/transition-requests/create'],
    approveTransitionRequest: ['POST', '/mlflow/transition-requests/approve'],
    rejectTransitionRequest: ['POST', '/mlflow/transition-requests/reject'],
    listTransitionRequests: ['GET', '/mlflow/transition-requests/list'],
    getModelVersionActivities: ['GET', '/mlflow/model-versions/get-activities'],
    deleteTransitionRequest: ['DELETE', '/mlflow/transition-requests/delete', 'query'],
    createComment: ['POST', '/mlflow/comments/create'],
    updateComment: ['PATCH', '/mlflow/comments/update'],
    deleteComment: ['DELETE', '/mlflow/comments/delete', 'query'],
  }),
  ...service('logbook.v1.PolicyService', {
    createPolicy: ['POST', '/logbook/policies/create'],
    getPolicy: ['GET', '/logbook/policies/get'],
    searchPolicies: ['GET', '/logbook/policies/search'],
    updatePolicy: ['PATCH', '/logbook/policies/update'],
    deletePolicy: ['DELETE', '/logbook/policies/delete'],
  }),
  ...service('logbook.v1.AuditService', {
    searchAuditEntries: ['GET', '/logbook/audit/entries/search'],
    verifyAuditTrail: ['GET', '/logbook/audit/verify'],
    getAuditPublicKeys: ['GET', '/logbook/audit/checkpoints/public-keys'],
  }),
  ...service('logbook.v1.WebhookLedgerService', {
    getWebhookDeliveryState: ['GET', '/logbook/webhooks/{webhook_id}'],
    resumeWebhook: ['POST', '/logbook/webhooks/{webhook_id}/resume'],
    listWebhookDeliveries: ['GET', '/logbook/webhooks/{webhook_id}/deliveries'],
    getWebhookDelivery: ['GET', '/logbook/webhooks/{webhook_id}/deliveries/{delivery_id}'],
    redeliverWebhookDelivery: ['POST', '/logbook/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver'],
    redeliverWebhookDeliveries: ['POST', '/logbook/webhooks/{webhook_id}/redeliver'],
  }),
  ...service('logbook.v1.RegistryHistoryService', {
    getRegisteredModelHistory: ['GET', '/logbook/registered-models/history'],
    getRegisteredModelState: ['GET', '/logbook/registered-models/state'],
    getModelVersionLineage: ['GET', '/logbook/model-versions/lineage'],
  }),
];
