import type { Clock } from '../util/clock.js';
import type { TlsCredentials } from '../util/tls-policy.js';
import {
  canonicalHeaderName,
  createResponseFromHeaders,
  Headers,
  formatVia,
  parseMessage,
  rememberFirstVia,
  serializeMessage,
  validateRequest,
  validateResponse,
  createResponse,
  type SipMessage,
  type SipRequest,
  type SipResponse,
  type Via,
} from './message/index.js';
import { peekResponse } from './message/peek-response.js';
import { responseFlow } from './transaction/message-fields.js';
import { parseRawRequest } from './transaction/raw-request.js';
import { TransactionLayer } from './transaction/transaction-layer.js';
import type { MessageSender, RawRequest, TransactionUser, WireCopy } from './transaction/types.js';
import type { TimerConfig } from './transaction/timer-config.js';
import { viaReceivedParams } from './transport/response-routing.js';
import { TransportLayer, type ListenSpec, type TransportLog } from './transport/transport-layer.js';
import type { Endpoint, Envelope, Flow, TransportProtocol } from './transport/types.js';

/**
 * The SIP stack: transport → parser → sanity checks → transaction layer → TU, and back. It knows nothing of a
 * PBX. Every received message goes through `#receive`, which never throws: a malformed request gets a stateless
 * 400 (or 505, 416 ...) when a response can be formed and is dropped otherwise; a malformed or unmatched response
 * is dropped (RFC 3261 18.1.2, 17.1.3).
 */
export interface SipStackOptions {
  listen: ListenSpec[];
  clock: Clock;
  /** The transaction user, or register it later with setTransactionUser (before start()). */
  tu?: TransactionUser;
  /** Cheap per-source check before parsing (bans, rate limits); see TransportLayerOptions.admit. */
  admit?: (remote: Endpoint, protocol: TransportProtocol, bytes?: Buffer) => boolean;
  timers?: Partial<TimerConfig>;
  maxTransactions?: number;
  /** The certificate of the tls and wss listeners. */
  tls?: TlsCredentials;
  log?: TransportLog;
  onListenerError?: (err: unknown) => void;
  /**
   * Sees every parsed message that passes the sanity checks on its way in, and every message handed to the
   * transport on its way out (for call traces). It must not throw or change the message.
   */
  observe?: SipObserver;
  /**
   * Which Call-IDs `observe` keeps anything of. Raw requests (pre-serialised in-dialog NOTIFYs) and the responses
   * to them are parsed for the observer only when it says yes; without this function, always.
   */
  observes?: (callId: string) => boolean;
}

export type SipObserver = (direction: 'in' | 'out', msg: SipRequest | SipResponse, flow: Flow) => void;
/**
 * Sees every message between the transport and the transaction layer, both ways, and may rewrite it (a media
 * gateway rewriting the SDP of its legs, docs/webrtc.md). Returning undefined leaves the message as it is and
 * keeps the path synchronous; a promise holds the message until it settles (undefined then drops it). The
 * transaction layer hands a retransmission in again as the same object, so a filter copies, never mutates.
 */
export interface MessageFilter {
  received(msg: SipMessage, flow: Flow): Promise<SipMessage | undefined> | undefined;
  sending(msg: SipMessage, to: Flow): Promise<SipMessage | undefined> | undefined;
  /**
   * Whether messages of this Call-ID may be changed or held by the filter. Raw requests and the responses to them
   * pass the filter (parsed) only when it says yes; a filter without this method sees them all.
   */
  watches?(callId: string): boolean;
}

export interface SipStackStats {
  received: number;
  malformed: number;
  rejected: number;
  droppedResponses: number;
  /** Responses too large for UDP, replaced by 513 (or, when even that cannot be sent, refused and logged). */
  tooLarge: number;
}

/**
 * The largest UDP payload IPv4 can carry (65,535 minus the IP and UDP headers); a larger datagram fails with
 * EMSGSIZE after the fact, so it is checked before sending.
 */
const MAX_UDP_PAYLOAD = 65_507;

/** The headers a 513 keeps: what the client needs to match it to its transaction (RFC 3261 8.2.6.2). */
const MATCHING_HEADERS = ['Via', 'From', 'To', 'Call-ID', 'CSeq'];

export class SipStack implements MessageSender {
  readonly transport: TransportLayer;
  readonly transactions: TransactionLayer;
  readonly #log: TransportLog;
  readonly #observe: SipObserver | undefined;
  readonly #observes: ((callId: string) => boolean) | undefined;
  readonly #stats: SipStackStats = {
    received: 0,
    malformed: 0,
    rejected: 0,
    droppedResponses: 0,
    tooLarge: 0,
  };
  #filter: MessageFilter | undefined;
  readonly #closedListeners: Array<(connectionId: string, protocol: TransportProtocol) => void> = [];

  constructor(opts: SipStackOptions) {
    this.#log = opts.log ?? (() => undefined);
    this.#observe = opts.observe;
    this.#observes = opts.observes;
    this.transport = new TransportLayer({
      listen: opts.listen,
      onEnvelope: (env) => this.#receive(env),
      onConnectionClosed: (id, protocol) => {
        for (const l of this.#closedListeners) l(id, protocol);
      },
      ...(opts.admit ? { admit: opts.admit } : {}),
      ...(opts.tls ? { tls: opts.tls } : {}),
      log: this.#log,
      clock: opts.clock,
    });
    this.transactions = new TransactionLayer({
      clock: opts.clock,
      sender: this,
      ...(opts.tu ? { tu: opts.tu } : {}),
      ...(opts.timers ? { timers: opts.timers } : {}),
      ...(opts.maxTransactions ? { maxTransactions: opts.maxTransactions } : {}),
      ...(opts.onListenerError ? { onListenerError: opts.onListenerError } : {}),
    });
  }

  /**
   * Registers the transaction user (normally the UA core, which needs `transactions` and this sender first, so it
   * cannot be passed at construction). Once only.
   */
  setTransactionUser(tu: TransactionUser): void {
    this.transactions.setTransactionUser(tu);
  }

  /**
   * Called once for every stream connection (tcp, tls, ws, wss) that closed: the end of an RFC 5626 flow, so
   * whatever was bound to it (registrations, media of the calls on it) can go.
   */
  onConnectionClosed(listener: (connectionId: string, protocol: TransportProtocol) => void): void {
    this.#closedListeners.push(listener);
  }

  /** Installs the one message filter (before start()). */
  setMessageFilter(filter: MessageFilter): void {
    this.#filter = filter;
  }

  start(): Promise<void> {
    return this.transport.start();
  }

  async stop(): Promise<void> {
    this.transactions.close();
    await this.transport.stop();
  }

  stats(): Readonly<SipStackStats> {
    return this.#stats;
  }

  sendRequest(req: SipRequest, to: Flow, onFailed?: () => void): boolean {
    this.#tap('out', req, to);
    return this.#send(req, to, onFailed);
  }

  /**
   * A request its dialog serialised (transaction/types.ts RawRequest): its bytes go to the transport as they are,
   * unless the observer or the message filter must see messages of its Call-ID — then it is parsed and takes the
   * path of every other request.
   */
  sendRaw(raw: RawRequest, to: Flow, onFailed?: () => void): boolean {
    if (this.#shows(raw.callId)) {
      const req = parseRawRequest(raw);
      return req !== undefined && this.sendRequest(req, to, onFailed);
    }
    return this.transport.send(raw.bytes, to, onFailed);
  }

  /** Whether the observer or the filter must see the messages of `callId` as parsed messages. */
  #shows(callId: string): boolean {
    if (this.#observe && (this.#observes === undefined || this.#observes(callId))) return true;
    const filter = this.#filter;
    return filter !== undefined && (filter.watches === undefined || filter.watches(callId));
  }

  /**
   * A response to a raw request, matched from a glance at its bytes (message/peek-response.ts) when the
   * transaction layer has such requests in flight: true when taken; false sends it down the full path (parse,
   * validateResponse, observer, filter) as any other message.
   */
  #summarised(bytes: Buffer): boolean {
    const glance = peekResponse(bytes);
    if (glance === undefined || this.#shows(glance.callId)) return false;
    return this.transactions.receiveSummary(glance);
  }

  /** RFC 3261 18.2.2 / RFC 3581: reliable → same connection; UDP → received/rport of the top Via. */
  sendResponse(res: SipResponse, requestFlow: Flow, keep?: (copy: WireCopy) => void): boolean {
    const to = responseFlow(res.headers, requestFlow);
    this.#tap('out', res, to);
    return this.#send(res, to, undefined, keep);
  }

  /** A response kept by `sendResponse`, written again (a retransmission; the observer does not see it again). */
  resend(copy: WireCopy): boolean {
    return this.transport.send(copy.bytes, copy.to);
  }

  /** Onto the wire; a response too large for a datagram becomes a 513 (#sendTooLarge). */
  #write(msg: SipMessage, to: Flow, onFailed?: () => void, keep?: (copy: WireCopy) => void): boolean {
    const bytes = serializeMessage(msg);
    if (msg.type === 'request' || to.protocol !== 'udp' || bytes.length <= MAX_UDP_PAYLOAD) {
      const ok = this.transport.send(bytes, to, onFailed);
      if (ok && keep) keep({ bytes, to });
      return ok;
    }
    return this.#sendTooLarge(msg, bytes.length, to, keep);
  }

  /**
   * A response that does not fit a datagram is never dropped silently: the client gets `513 Message Too Large`
   * (RFC 3261 21.5.11) with only the headers that match it to its transaction, no body. When even that does not
   * fit (the request's own Via/From/To were that large), nothing can be sent; that is counted and logged.
   */
  #sendTooLarge(res: SipResponse, size: number, to: Flow, keep?: (copy: WireCopy) => void): boolean {
    this.#stats.tooLarge++;
    const matching = new Set(MATCHING_HEADERS.map((h) => h.toLowerCase()));
    const small: SipResponse = {
      ...res,
      status: 513,
      reason: 'Message Too Large',
      headers: new Headers(
        res.headers.entries().filter(([name]) => matching.has(canonicalHeaderName(name).toLowerCase())),
      ),
      body: Buffer.alloc(0),
    };
    const bytes = serializeMessage(small);
    const fits = bytes.length <= MAX_UDP_PAYLOAD;
    this.#log('warn', 'response too large for UDP', {
      remote: to.remote,
      status: res.status,
      size,
      sent: fits ? 513 : 'nothing',
    });
    if (!fits || !this.transport.send(bytes, to)) return false;
    keep?.({ bytes, to });
    return true;
  }

  #send(msg: SipMessage, to: Flow, onFailed?: () => void, keep?: (copy: WireCopy) => void): boolean {
    const held = this.#filter?.sending(msg, to);
    if (!held) return this.#write(msg, to, onFailed, keep);
    // Held by the filter: reported as sent (a reliable flow has no retransmission to lose; over UDP the
    // transaction layer retransmits); a refusal once it is written counts as a failed connect.
    void held
      .then((m) => {
        if (m && !this.#write(m, to, onFailed)) onFailed?.();
      })
      .catch((err: unknown) => this.#log('warn', 'message filter failed on send', { err: String(err) }));
    return true;
  }

  #deliver(msg: SipMessage, flow: Flow): void {
    if (msg.type === 'response') this.transactions.receiveResponse(msg, flow);
    else this.transactions.receiveRequest(msg, flow);
  }

  #filtered(msg: SipMessage, flow: Flow): void {
    const held = this.#filter?.received(msg, flow);
    if (!held) {
      this.#deliver(msg, flow);
      return;
    }
    void held
      .then((m) => m && this.#deliver(m, flow))
      .catch((err: unknown) => this.#log('warn', 'message filter failed on receive', { err: String(err) }));
  }

  #receive(env: Envelope): void {
    this.#stats.received++;
    try {
      if (this.transactions.takesSummaries && this.#summarised(env.bytes)) return;
      const flow: Flow = {
        protocol: env.protocol,
        local: env.local,
        remote: env.remote,
        ...(env.connectionId ? { connectionId: env.connectionId } : {}),
      };
      const parsed = parseMessage(env.bytes);
      if (!parsed.ok) {
        this.#stats.malformed++;
        if (parsed.isRequest && parsed.headers) {
          const res = createResponseFromHeaders(parsed.headers, parsed.status, parsed.reason);
          if (res) this.sendResponse(res, flow);
        }
        this.#log('debug', 'malformed message', { remote: env.remote.address, reason: parsed.reason });
        return;
      }
      const msg = parsed.message;
      if (msg.type === 'response') {
        if (!validateResponse(msg).ok) {
          this.#stats.droppedResponses++;
          return;
        }
        this.#tap('in', msg, flow);
        this.#filtered(msg, flow);
        return;
      }
      const topVias: Via[] = [];
      const check = validateRequest(msg, topVias);
      if (!check.ok) {
        this.#stats.rejected++;
        // No response to a bad ACK (RFC 3261 17.1.1.3: ACK has no response).
        if (msg.method !== 'ACK') {
          const res = createResponse(msg, check.status, check.reason, { headers: check.extraHeaders ?? [] });
          this.sendResponse(res, flow);
        }
        return;
      }
      this.#stampVia(msg, flow, topVias);
      this.#tap('in', msg, flow);
      this.#filtered(msg, flow);
    } catch (err) {
      // Defence in depth: nothing received may take the stack down.
      this.#stats.malformed++;
      this.#log('warn', 'error while handling a received message', { err: String(err) });
    }
  }

  #tap(direction: 'in' | 'out', msg: SipRequest | SipResponse, flow: Flow): void {
    if (!this.#observe) return;
    try {
      this.#observe(direction, msg, flow);
    } catch (err) {
      // An observer is a bystander: its failure must not change what the stack does.
      this.#log('warn', 'message observer threw', { err: String(err) });
    }
  }

  /**
   * RFC 3261 18.2.1 and RFC 3581 section 4: add received / rport to the top Via of a received request. `vias`: the
   * parsed values of its first Via line (validateRequest's).
   */
  #stampVia(req: SipRequest, flow: Flow, vias: Via[]): void {
    const top = vias[0];
    if (!top) return;
    const add = viaReceivedParams(top, flow);
    if (add.received === undefined && add.rport === undefined) return;
    if (add.received !== undefined) top.params.set('received', add.received);
    if (add.rport !== undefined) top.params.set('rport', add.rport);
    const raw = formatVia(top);
    const line = [raw, ...vias.slice(1).map(formatVia)].join(', ');
    req.headers.setFirst('Via', line);
    // The transaction layer reads this line next, and the response sent to the request carries it back.
    rememberFirstVia(line, raw, top);
  }
}
