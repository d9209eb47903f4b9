export * from './artifacts';
export * from './catalog';
export * from './contract';
export * from './schema';
export * from './topics';
export * from './tracking';
