import type { DialogImpl } from './dialog.js';

/**
 * Confirmed dialogs by their identity (RFC 3261 12: Call-ID, local tag, remote tag). A request or ACK matches a
 * dialog when its Call-ID, To tag (ours) and From tag (theirs) do (12.2.2).
 */
export class DialogTable {
  readonly #byKey = new Map<string, DialogImpl>();

  static key(callId: string, localTag: string, remoteTag: string): string {
    // Call-IDs and tags cannot contain a line feed, so it separates them unambiguously.
    return `${callId}\n${localTag}\n${remoteTag}`;
  }

  add(d: DialogImpl): void {
    this.#byKey.set(DialogTable.key(d.id.callId, d.id.localTag, d.id.remoteTag), d);
  }

  get(callId: string, localTag: string, remoteTag: string): DialogImpl | undefined {
    return this.#byKey.get(DialogTable.key(callId, localTag, remoteTag));
  }

  delete(d: DialogImpl): void {
    const k = DialogTable.key(d.id.callId, d.id.localTag, d.id.remoteTag);
    if (this.#byKey.get(k) === d) this.#byKey.delete(k);
  }

  all(): DialogImpl[] {
    return [...this.#byKey.values()];
  }

  get size(): number {
    return this.#byKey.size;
  }
}
