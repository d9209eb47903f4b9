import { ARTIFACTS_TOPICS } from './artifacts';
import { TopicContract } from './contract';
import { TRACKING_TOPICS } from './tracking';

/** Every topic the services publish, with its events: what docs/events.md lists. */
export const PUBLISHED_TOPICS: readonly TopicContract[] = [...TRACKING_TOPICS, ...ARTIFACTS_TOPICS];
