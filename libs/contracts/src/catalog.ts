import { ARTIFACTS_TOPICS } from './artifacts';
import { TopicContract } from './contract';
import { REGISTRY_TOPICS } from './registry';
import { TRACKING_TOPICS } from './tracking';

/** Every topic the services publish, with its events: what docs/events.md lists. */
export const PUBLISHED_TOPICS: readonly TopicContract[] = [...TRACKING_TOPICS, ...ARTIFACTS_TOPICS, ...REGISTRY_TOPICS];
