export * from './audit-log';
export * from './canonical-json';
export * from './chain';
export * from './checkpoints';
export * from './verify';
export * from './audit-api';
export * from './audit-settings';
export * from './audit-export';
