export * from './concurrency-error';
export * from './decider';
export * from './envelope';
export * from './event-store';
export * from './projection';
export * from './schema';
