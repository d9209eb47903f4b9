export * from './consumer';
export * from './publisher';
export * from './relay';
export * from './subscription';
export * from './advisory-lock';
export * from './announcements';
export * from './topics';
export { createKafka, ensureTopics } from './kafka';
