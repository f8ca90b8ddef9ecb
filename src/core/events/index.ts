export { EventBus } from './event-bus.js';
export type { EventBusOptions, ListenerErrorHandler, Unsubscribe } from './event-bus.js';
export type * from './types.js';
