export { DATABASE } from '@logbook/platform';
export const EVENT_STORE = Symbol('IDENTITY_EVENT_STORE');
export const IDENTITY_CONFIG = Symbol('IDENTITY_CONFIG');
