export * from './service-database';
export * from './service-runtime';
