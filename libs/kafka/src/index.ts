export * from './errors.ts';
export * from './config.ts';
export * from './client.ts';
export * from './topics/names.ts';
export * from './topics/catalog.ts';
export * from './topics/provision.ts';
export * from './topics/wait-for-topics.ts';
