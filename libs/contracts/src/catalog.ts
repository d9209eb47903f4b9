import { ARTIFACTS_TOPICS } from './artifacts';
import { CommandTopicContract, TopicContract } from './contract';
import { REGISTRY_TOPICS, REGISTRY_TRANSITION_REQUEST_COMMANDS_TOPIC } from './registry';
import { TRACKING_TOPICS } from './tracking';

/** Every topic the services publish, with its events: what docs/events.md lists. */
export const PUBLISHED_TOPICS: readonly TopicContract[] = [...TRACKING_TOPICS, ...ARTIFACTS_TOPICS, ...REGISTRY_TOPICS];

/** Every topic of commands the services consume: what docs/events.md lists after the events. */
export const COMMAND_TOPICS: readonly CommandTopicContract[] = [REGISTRY_TRANSITION_REQUEST_COMMANDS_TOPIC];
