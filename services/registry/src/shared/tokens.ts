export { DATABASE } from '@logbook/platform';
export const EVENT_STORE = Symbol('REGISTRY_EVENT_STORE');
