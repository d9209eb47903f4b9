export { DATABASE } from '@logbook/platform';
export const EVENT_STORE = Symbol('EVENT_STORE');
export const TRACKING_CONFIG = Symbol('TRACKING_CONFIG');
