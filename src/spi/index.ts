// Tend's contracts: the types, interfaces and error kinds every other folder builds on.
// This folder imports nothing else from the project.
export * from './errors.js';
export * from './flavor.js';
export * from './group.js';
export * from './instance.js';
export * from './leadership.js';
export * from './metadata.js';
export * from './resolver.js';
export * from './store.js';
export * from './tags.js';
export * from './types.js';
