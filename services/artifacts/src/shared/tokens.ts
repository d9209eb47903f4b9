export { DATABASE } from '@logbook/platform';
export const EVENT_STORE = Symbol('EVENT_STORE');
export const ARTIFACT_STORAGE = Symbol('ARTIFACT_STORAGE');
export const ARTIFACTS_CONFIG = Symbol('ARTIFACTS_CONFIG');
export const ARTIFACTS_LOGGER = Symbol('ARTIFACTS_LOGGER');
