import type { DomainEventType, EventOf } from '../../../src/core/events/types.js';
import type { TestServer } from './server.js';

/** The next event of `type` on the server's bus that matches `pred`; rejects after `timeoutMs`. */
export function nextEvent<T extends DomainEventType>(
  t: TestServer,
  type: T,
  pred: (e: EventOf<T>) => boolean = () => true,
  timeoutMs = 10_000,
): Promise<EventOf<T>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${type} within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = t.server.bus.on(type, (e) => {
      if (!pred(e)) return;
      clearTimeout(timer);
      off();
      resolve(e);
    });
  });
}
