/**
 * The notifier side of a SUBSCRIBE dialog (RFC 6665 section 4.2): accepting an initial SUBSCRIBE creates a dialog
 * like a 2xx to an INVITE does (RFC 6665 4.2.1.1, RFC 3261 12.1.1: our To tag, our Contact, route set from
 * Record-Route, remote target from Contact); in-dialog SUBSCRIBEs (refresh, `Expires: 0`) then reach the dialog's
 * request handler through the dialog table, and NOTIFYs go out with Dialog.request. No BYE ends such a dialog: the
 * subscription ends with a NOTIFY carrying `Subscription-State: terminated`, after which the app releases it.
 *
 * Dialogs can also be rebuilt from a snapshot (a subscription that survived a restart).
 */
import { createResponse, formatUri, parseCSeq, parseNameAddr, tagOf } from '../message/index.js';
import type { ServerTransaction } from '../transaction/types.js';
import type { Flow } from '../transport/types.js';
import type { DialogContext } from '../dialog/dialog-context.js';
import { DialogImpl, contactUri, recordRoutes, type Dialog } from '../dialog/dialog.js';
import { contactValue, newTag } from './request-builder.js';

/** Everything needed to rebuild a dialog after a restart (RFC 3261 12: dialog state). */
export interface DialogSnapshot {
  callId: string;
  localTag: string;
  remoteTag: string;
  localUri: string;
  remoteUri: string;
  remoteTarget: string;
  routeSet: string[];
  /** The CSeq of the last request we sent, undefined before the first. */
  localSeq: number | undefined;
  remoteSeq: number | undefined;
  flow: Flow;
}

/** A SUBSCRIBE dialog as the notifier application holds it. */
export interface SubscriptionDialog extends Dialog {
  snapshot(): DialogSnapshot;
  /** Forgets the dialog without sending anything (after the terminating NOTIFY); later requests for it get 481. */
  release(): void;
}

export interface AcceptSubscribeOptions {
  /** The granted duration in seconds, echoed in `Expires` (RFC 6665 4.2.1.1: the 200 MUST contain one). */
  expires: number;
  headers?: Array<[string, string]>;
}

export interface SubscribeHooks {
  addDialog(d: DialogImpl): void;
  removeDialog(d: DialogImpl): void;
}

class SubscriptionDialogImpl extends DialogImpl implements SubscriptionDialog {
  snapshot(): DialogSnapshot {
    return {
      callId: this.id.callId,
      localTag: this.id.localTag,
      remoteTag: this.id.remoteTag,
      localUri: this.localUri,
      remoteUri: this.remoteUri,
      remoteTarget: this.remoteTarget,
      routeSet: this.routeSet,
      localSeq: this.localSeq,
      remoteSeq: this.remoteSeq,
      flow: { ...this.flow },
    };
  }

  release(): void {
    this.close();
  }
}

/** Answers an initial SUBSCRIBE with 200 and returns the new dialog (already in the dialog table). */
export function acceptSubscribe(
  ctx: DialogContext,
  hooks: SubscribeHooks,
  tx: ServerTransaction,
  o: AcceptSubscribeOptions,
): SubscriptionDialog {
  const req = tx.request;
  if (req.method !== 'SUBSCRIBE') throw new TypeError('acceptSubscribe() takes a SUBSCRIBE transaction');
  const localTag = newTag();
  const from = parseNameAddr(req.headers.get('From') ?? '');
  const to = parseNameAddr(req.headers.get('To') ?? '');
  const remoteUri = from ? formatUri(from.uri) : 'sip:anonymous@anonymous.invalid';
  const d = new SubscriptionDialogImpl(
    ctx,
    {
      callId: req.headers.get('Call-ID') ?? '',
      localTag,
      remoteTag: (from && tagOf(from)) ?? '',
      localUri: to ? formatUri(to.uri) : formatUri(req.uri),
      remoteUri,
      // RFC 3261 12.1.1: remote target from Contact, route set from Record-Route.
      remoteTarget: contactUri(req.headers) ?? remoteUri,
      routeSet: recordRoutes(req.headers),
      localSeq: undefined,
      remoteSeq: parseCSeq(req.headers.get('CSeq') ?? '')?.seq,
      flow: tx.flow,
    },
    (x) => hooks.removeDialog(x),
  );
  hooks.addDialog(d);
  const own = o.headers ?? [];
  const hasContact = own.some(([n]) => n.toLowerCase() === 'contact' || n.toLowerCase() === 'm');
  tx.respond(
    createResponse(req, 200, 'OK', {
      toTag: localTag,
      copyRecordRoute: true,
      headers: [
        ...(hasContact
          ? []
          : [['Contact', contactValue(tx.flow, ctx.localEndpoint(tx.flow.protocol))] as [string, string]]),
        ['Expires', String(Math.max(0, Math.floor(o.expires)))],
        ...(ctx.userAgent !== undefined ? [['Server', ctx.userAgent] as [string, string]] : []),
        ...own,
      ],
    }),
  );
  return d;
}

/** Rebuilds a dialog from a snapshot and puts it in the dialog table. */
export function restoreDialog(
  ctx: DialogContext,
  hooks: SubscribeHooks,
  s: DialogSnapshot,
): SubscriptionDialog {
  const d = new SubscriptionDialogImpl(
    ctx,
    {
      callId: s.callId,
      localTag: s.localTag,
      remoteTag: s.remoteTag,
      localUri: s.localUri,
      remoteUri: s.remoteUri,
      remoteTarget: s.remoteTarget,
      routeSet: [...s.routeSet],
      localSeq: s.localSeq,
      remoteSeq: s.remoteSeq,
      flow: { ...s.flow },
    },
    (x) => hooks.removeDialog(x),
  );
  hooks.addDialog(d);
  return d;
}
