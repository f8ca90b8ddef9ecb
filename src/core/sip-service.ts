import { randomHex } from '../util/random-id.js';
import { createResponse, optionTags, type SipRequest, type SipResponse } from '../sip/message/index.js';
import type { ServerTransaction, TransactionUser } from '../sip/transaction/types.js';
import type { Logger } from '../util/log.js';
import type { DeviceRecord, TenantRecord } from '../store/types.js';
import type { Registrar } from './registrar/registrar.js';
import type { RequestAuthenticator } from './security/request-authenticator.js';

/** Methods this server implements. */
export const ALLOW = 'INVITE, ACK, BYE, CANCEL, OPTIONS, REGISTER, SUBSCRIBE, NOTIFY, PRACK, UPDATE';

/** Where authenticated INVITEs go (the call engine); it answers through the transaction itself. */
export interface InviteHandler {
  handleInvite(tx: ServerTransaction, tenant: TenantRecord, device: DeviceRecord): Promise<void>;
  /** Takes an INVITE from a configured trunk peer (no digest: the peer address is the trust); false: not a trunk. */
  fromTrunk?(tx: ServerTransaction): Promise<boolean>;
}
/**
 * Where authenticated out-of-dialog SUBSCRIBEs go (the subscription service, core/subscriptions, RFC 6665); it answers
 * through the transaction (and takes it into a dialog with UserAgentCore.acceptSubscribe). In-dialog ones never come
 * here.
 */
export interface SubscribeHandler {
  /** The event packages it serves (`Allow-Events`, RFC 6665 8.2.2); others get 489 Bad Event before it is asked. */
  readonly events: readonly string[];
  handleSubscribe(tx: ServerTransaction, tenant: TenantRecord, device: DeviceRecord): Promise<void>;
}

/** Option tags we support (for Require checks, RFC 3261 8.2.2.3): reliable provisionals (RFC 3262), session timers (RFC 4028). */
const SUPPORTED = new Set<string>(['100rel', 'timer']);

/**
 * The transaction user of the PBX: the first stop for every new request. Dispatches by method, after the checks
 * RFC 3261 section 8.2 orders before any processing (method, Require), and after authentication.
 */
const STATELESS = { stateless: true } as const;

export class PbxSipService implements TransactionUser {
  readonly #auth: RequestAuthenticator;
  readonly #registrar: Registrar;
  readonly #log: Logger;
  #invites: InviteHandler | undefined;
  readonly #subscribes: SubscribeHandler[] = [];
  #inFlight = 0;
  /** Set while the server drains before a stop: new calls are refused with 503 and this Retry-After. */
  #refuseCallsFor: number | undefined;

  constructor(opts: {
    auth: RequestAuthenticator;
    registrar: Registrar;
    log: Logger;
    invites?: InviteHandler;
  }) {
    this.#auth = opts.auth;
    this.#registrar = opts.registrar;
    this.#log = opts.log;
    this.#invites = opts.invites;
  }

  /** Wires the call engine in (it is built after the SIP stack it needs). */
  setInviteHandler(h: InviteHandler): void {
    this.#invites = h;
  }

  /** Adds the handler of some event packages (the subscription service, built after the UA core it needs). */
  addSubscribeHandler(h: SubscribeHandler): void {
    this.#subscribes.push(h);
  }

  /**
   * From now on every new (out-of-dialog) INVITE is answered 503 with `Retry-After: seconds` (RFC 3261 section
   * 21.5.4), while calls already running, registrations and subscriptions are served as before: a graceful stop.
   */
  refuseNewCalls(retryAfterSeconds: number): void {
    this.#refuseCallsFor = Math.max(1, Math.round(retryAfterSeconds));
  }

  /** Requests being processed asynchronously right now (for the leak checks). */
  inFlight(): number {
    return this.#inFlight;
  }

  onRequest(tx: ServerTransaction): void {
    this.#inFlight++;
    this.#handle(tx)
      .then((res) => {
        // A challenge is sent statelessly (RFC 3261 8.2.7): a retransmitted request is challenged again rather
        // than its 401/407 kept for 32 s — in a registration storm that is half of all completed transactions.
        if (res) tx.respond(res, res.status === 401 || res.status === 407 ? STATELESS : undefined);
      })
      .catch((err: unknown) => {
        this.#log.error(
          { event: 'sip.request.error', callId: tx.request.headers.get('Call-ID'), err: String(err) },
          'request failed',
        );
        tx.respond(createResponse(tx.request, 500, 'Server Internal Error', { toTag: newTag() }));
      })
      .finally(() => this.#inFlight--);
  }

  // CANCEL never arrives here: the UA core answers every CANCEL (RFC 3261 9.2: the INVITE it targets, else 481).
  async #handle(tx: ServerTransaction): Promise<SipResponse | undefined> {
    const req = tx.request;
    const toTag = newTag();
    // RFC 6665 4.1.3: a NOTIFY that matches no subscription of ours (in-dialog ones never get here) → 481.
    if (req.method === 'NOTIFY') return createResponse(req, 481, 'Subscription Does Not Exist', { toTag });

    // RFC 3261 8.2.2.3: an option tag in Require that we do not know → 420 with Unsupported.
    // RFC 4662 section 4: a subscriber may require `eventlist`; the SUBSCRIBE handler decides what it serves.
    const eventlistOk = req.method === 'SUBSCRIBE' && this.#subscribes.length > 0;
    const unsupported = optionTags(req.headers, 'Require').filter(
      (t) => !SUPPORTED.has(t) && !(eventlistOk && t === 'eventlist'),
    );
    if (unsupported.length > 0)
      return createResponse(req, 420, 'Bad Extension', {
        toTag,
        headers: [['Unsupported', unsupported.join(', ')]],
      });
    // After the Require check: an OPTIONS that requires what we lack gets 420 too (RFC 4475 3.3.5, bext01).
    if (req.method === 'OPTIONS') return this.#options(req, toTag);

    if (req.method === 'INVITE' && this.#refuseCallsFor !== undefined)
      return createResponse(req, 503, 'Service Unavailable', {
        toTag,
        headers: [['Retry-After', String(this.#refuseCallsFor)]],
      });

    if (req.method === 'INVITE' && this.#invites?.fromTrunk && (await this.#invites.fromTrunk(tx)))
      return undefined;

    // A challenge goes out statelessly (onRequest): its To tag is made from the transaction's key.
    const auth = await this.#auth.authenticate(req, tx.flow, toTag, tx.key);
    if (!auth.ok) return auth.response;

    if (req.method === 'REGISTER') {
      return this.#registrar.handle({
        tenantId: auth.tenant.id,
        username: auth.device.username,
        request: req,
        flow: tx.flow,
        toTag,
      });
    }
    if (req.method === 'INVITE' && this.#invites) {
      await this.#invites.handleInvite(tx, auth.tenant, auth.device);
      return undefined;
    }
    if (req.method === 'SUBSCRIBE' && this.#subscribes.length > 0) {
      // RFC 6665 4.2.1.1 / 8.2.2: an event package we do not serve → 489 with the ones we do.
      const event = (req.headers.get('Event') ?? '').split(';')[0]!.trim().toLowerCase();
      const handler = this.#subscribes.find((h) => h.events.includes(event));
      if (!handler)
        return createResponse(req, 489, 'Bad Event', {
          toTag,
          headers: [['Allow-Events', this.#allowEvents()]],
        });
      await handler.handleSubscribe(tx, auth.tenant, auth.device);
      return undefined;
    }
    // RFC 3261 8.2.1: a method we do not implement → 501 (405 is for known methods not allowed here).
    return createResponse(req, 501, 'Not Implemented', { toTag, headers: [['Allow', ALLOW]] });
  }

  /** Every event package some handler serves (RFC 6665 section 8.2.2). */
  #allowEvents(): string {
    return this.#subscribes.flatMap((h) => h.events).join(', ');
  }

  #options(req: SipRequest, toTag: string): SipResponse {
    return createResponse(req, 200, 'OK', {
      toTag,
      headers: [
        ['Allow', ALLOW],
        ['Accept', 'application/sdp'],
        ...(this.#subscribes.length > 0 ? [['Allow-Events', this.#allowEvents()] as [string, string]] : []),
        ...(SUPPORTED.size > 0 ? [['Supported', [...SUPPORTED].join(', ')] as [string, string]] : []),
      ],
    });
  }
}

export function newTag(): string {
  return randomHex(6);
}
