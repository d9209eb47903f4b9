export { DATABASE } from '../../../../libs/platform/src/observability.module';
export const EVENT_STORE = Symbol('EVENT_STORE');
export const TRACKING_CONFIG = Symbol('TRACKING_CONFIG');
