/**
 * The client transaction handlers of one request a dialog sends from its template (Dialog.requestFromTemplate),
 * the local outcomes such a request can have, and what a dialog's cached template was built for.
 */
import type { ClientTransactionHandlers, ResponseStatus } from '../transaction/types.js';
import type { RequestTemplate } from './request-template.js';
import type { TemplateRequestOptions } from './types.js';

export const TRANSPORT_ERROR: ResponseStatus = { status: 503, reason: 'Transport Error' };
export const DIALOG_CLOSED: ResponseStatus = { status: 503, reason: 'Dialog Closed' };
const TIMEOUT: ResponseStatus = { status: 408, reason: 'Request Timeout' };

/**
 * The client transaction's handlers for one request of requestFromTemplate: methods, not closures (a fan-out
 * makes a thousand at once). Settles once, with the final response, a local 408 (Timer F) or 503.
 */
export class TemplatePending implements ClientTransactionHandlers<ResponseStatus> {
  readonly method: string;
  readonly done: (res: ResponseStatus) => void;
  readonly #settled: (p: TemplatePending, res: ResponseStatus) => void;
  #open = true;
  /** Its index in the dialog's PendingList while in flight. */
  slot = -1;

  constructor(
    method: string,
    done: (res: ResponseStatus) => void,
    settled: (p: TemplatePending, res: ResponseStatus) => void,
  ) {
    this.method = method;
    this.done = done;
    this.#settled = settled;
  }

  onResponse(res: ResponseStatus): void {
    if (res.status >= 200) this.settle(res);
  }

  onTimeout(): void {
    this.settle(TIMEOUT);
  }

  onTransportError(): void {
    this.settle(TRANSPORT_ERROR);
  }

  settle(res: ResponseStatus): void {
    if (!this.#open) return;
    this.#open = false;
    this.#settled(this, res);
  }
}

/**
 * A dialog's requests of requestFromTemplate in flight, in an array (add and remove O(1), swapping the last into
 * the gap). Not a Set: V8 gives a Set or Map a new hash table each time a delete leaves it nearly empty, so a Set
 * that goes from one entry to none with every NOTIFY made garbage per NOTIFY (and, in a fan-out, a thousand
 * tables that a scavenge in the middle of it had to copy). An array keeps its backing store.
 */
export class PendingList {
  readonly #items: TemplatePending[] = [];

  add(p: TemplatePending): void {
    p.slot = this.#items.length;
    this.#items.push(p);
  }

  delete(p: TemplatePending): void {
    const i = p.slot;
    if (i < 0 || this.#items[i] !== p) return;
    const last = this.#items.pop()!;
    if (last !== p) {
      this.#items[i] = last;
      last.slot = i;
    }
    p.slot = -1;
  }

  /** A copy: settling one removes it from this list. */
  snapshot(): TemplatePending[] {
    return this.#items.slice();
  }

  get size(): number {
    return this.#items.length;
  }
}

/** What a template was built for: rebuilt when any of it changes. */
export interface TemplateKey {
  readonly template: RequestTemplate;
  readonly fixed: TemplateRequestOptions['fixed'];
  readonly target: string;
  /** Our address and port in the Via and Contact. */
  readonly address: string;
  readonly port: number;
}
