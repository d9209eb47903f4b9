export * from './consumer';
export * from './publisher';
export * from './relay';
export * from './topics';
export { createKafka, ensureTopics } from './kafka';
