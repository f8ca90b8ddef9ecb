import type { Endpoint, Flow } from '../transport/types.js';
import { newBranch } from '../transaction/branch.js';
import type { ClientTransactionHandlers, ResponseStatus } from '../transaction/types.js';
import type { DialogContext } from './dialog-context.js';
import type { RequestTemplate } from './request-template.js';
import type { TemplateRequestOptions } from './types.js';

const TRANSPORT_ERROR: ResponseStatus = { status: 503, reason: 'Transport Error' };
const DIALOG_CLOSED: ResponseStatus = { status: 503, reason: 'Dialog Closed' };
const TIMEOUT: ResponseStatus = { status: 408, reason: 'Request Timeout' };

/**
 * The client transaction's handlers for one request sent from a template: methods, not closures (a fan-out makes a
 * thousand at once). Settles once, with the final response, a local 408 (Timer F) or 503.
 */
class TemplatePending implements ClientTransactionHandlers<ResponseStatus> {
  readonly method: string;
  readonly done: (res: ResponseStatus) => void;
  readonly #settled: (p: TemplatePending, res: ResponseStatus) => void;
  #open = true;

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

/** What the cached template was built for: rebuilt when any of it changes. */
interface Built {
  readonly template: RequestTemplate;
  readonly fixed: TemplateRequestOptions['fixed'];
  readonly target: string;
  /** Our address and port in the Via and Contact. */
  readonly local: Endpoint;
}

/**
 * A dialog's requests sent from a serialised template (Dialog.requestFromTemplate): the cached template, the
 * requests in flight (close() settles them, since a closed transaction layer never will) and their outcomes.
 */
export class TemplateRequests {
  readonly #ctx: DialogContext;
  /** Told every outcome, after `done`: the dialog ends on 481/408 (RFC 3261 12.2.1.2). */
  readonly #after: (method: string, status: number) => void;
  readonly #inflight = new Set<TemplatePending>();
  #built: Built | undefined;

  constructor(ctx: DialogContext, after: (method: string, status: number) => void) {
    this.#ctx = ctx;
    this.#after = after;
  }

  /** The template for these, built by `build` when the cached one was made for anything else (or none is). */
  template(
    method: string,
    fixed: TemplateRequestOptions['fixed'],
    target: string,
    local: Endpoint,
    build: () => RequestTemplate | undefined,
  ): RequestTemplate | undefined {
    const b = this.#built;
    if (
      b &&
      b.template.method === method &&
      b.fixed === fixed &&
      b.target === target &&
      b.local.address === local.address &&
      b.local.port === local.port
    )
      return b.template;
    const template = build();
    this.#built = template ? { template, fixed, target, local } : undefined;
    return template;
  }

  /** Renders one request with a new branch and `cseq` and hands it to a non-INVITE client transaction. */
  send(
    template: RequestTemplate,
    callId: string,
    flow: Flow,
    cseq: number,
    o: TemplateRequestOptions,
    done: (res: ResponseStatus) => void,
  ): void {
    const branch = newBranch();
    const bytes = template.render(branch, cseq, o.headers, o.contentType, o.body);
    const method = template.method;
    const pending = new TemplatePending(method, done, this.#settled);
    this.#inflight.add(pending);
    try {
      this.#ctx.transactions.sendRawRequest({ method, callId, branch, bytes }, flow, pending);
    } catch (err) {
      this.#ctx.log('warn', 'in-dialog request not sent', { method, err: String(err) });
      pending.settle(TRANSPORT_ERROR);
    }
  }

  /** Settles every request still in flight (the dialog closes). */
  close(): void {
    for (const p of [...this.#inflight]) p.settle(DIALOG_CLOSED);
  }

  readonly #settled = (p: TemplatePending, res: ResponseStatus): void => {
    this.#inflight.delete(p);
    this.#ctx.callOut('dialog.requestFromTemplate', () => p.done(res));
    this.#after(p.method, res.status);
  };
}
