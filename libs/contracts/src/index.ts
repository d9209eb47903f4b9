export * from './artifacts';
export * from './catalog';
export * from './contract';
export * from './registry';
export * from './topics';
export * from './tracking';
export * from './webhooks';
