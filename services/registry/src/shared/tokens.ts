export { DATABASE } from '@logbook/platform';
export const EVENT_STORE = Symbol('REGISTRY_EVENT_STORE');
export const REGISTRY_LOGGER = Symbol('REGISTRY_LOGGER');
export const REGISTRATION_VERDICTS = Symbol('REGISTRY_REGISTRATION_VERDICTS');
