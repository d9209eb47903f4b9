export { DATABASE } from '@logbook/platform';
export const EVENT_STORE = Symbol('REGISTRY_EVENT_STORE');
export const REGISTRY_LOGGER = Symbol('REGISTRY_LOGGER');
export const REGISTRATION_VERDICTS = Symbol('REGISTRY_REGISTRATION_VERDICTS');
/** Where the registry consumes transition-request commands from (Kafka), or null when it does not. */
export const COMMAND_FEED = Symbol('REGISTRY_COMMAND_FEED');
/** The webhook delivery worker: what the ledger API wakes after queuing deliveries again. */
export const WEBHOOK_DELIVERY = Symbol('REGISTRY_WEBHOOK_DELIVERY');
/** The webhook settings (MLFLOW_WEBHOOK_* and LOGBOOK_WEBHOOK_*): URL policy, secret box, rotation overlap. */
export const WEBHOOK_SETTINGS = Symbol('REGISTRY_WEBHOOK_SETTINGS');
