export * from './service-database';
export * from './service-runtime';
export * from './rebuild-command';
export * from './migrate-command';
