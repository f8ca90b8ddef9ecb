export type * from './types.js';
export { openStore, parseStoreUrl } from './open-store.js';
export type { OpenStoreOptions, StoreLocation } from './open-store.js';
