/**
 * BLF keys on call park locations: a location is watched like a workplace (the location number as the user part
 * of the SUBSCRIBE's URI) and its document shows one `confirmed` dialog while a call waits there, none when it is
 * free. Desk phones light a key with a confirmed dialog steady (busy), which is what a parking lot key shows on
 * the common phones; a ringing-like `early` state would make them blink and offer a pickup, which a parked call
 * does not need (the key dials the retrieve code). Fed from the park events on the bus (docs/feature-codes.md,
 * "Call park").
 */
import type { ParkEvent } from '../../core/events/types.js';
import { workplaceKey, type DialogView, type PresenceBook, type PresenceChange } from './presence-state.js';

export function isParkEvent(e: { type: string }): e is ParkEvent {
  return e.type.startsWith('park.');
}

/**
 * The book with the location of `e` occupied (parked) or freed (retrieved, ended). The dialog's call id is not
 * the held call's, so the call events of the held call never touch the lamp.
 */
export function applyParkEvent(
  book: PresenceBook,
  e: ParkEvent,
): { state: PresenceBook; changed: PresenceChange[] } {
  const key = workplaceKey(e.tenantId, e.location);
  if (e.type === 'park.parked') {
    const d: DialogView = {
      id: `park-${e.callId}`,
      callId: `park-${e.callId}`,
      direction: 'recipient',
      phase: 'confirmed',
      local: { number: e.location, name: `Park ${e.location}` },
      remote: e.parked,
      held: false,
      since: e.at,
    };
    const entries = new Map(book.entries);
    entries.set(key, { tenantId: e.tenantId, workplace: e.location, dialogs: new Map([[d.id, d]]) });
    return {
      state: { entries },
      changed: [{ tenantId: e.tenantId, workplace: e.location, status: 'busy', dialogs: [d] }],
    };
  }
  if (e.type === 'park.recalled') return { state: book, changed: [] };
  const old = book.entries.get(key);
  if (!old) return { state: book, changed: [] };
  const entries = new Map(book.entries);
  entries.delete(key);
  const ended = [...old.dialogs.values()].map((d): DialogView => ({ ...d, phase: 'terminated' }));
  return {
    state: { entries },
    changed: [{ tenantId: e.tenantId, workplace: e.location, status: 'idle', dialogs: ended }],
  };
}
