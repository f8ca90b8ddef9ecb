import { randomBytes } from 'node:crypto';
import type { Clock } from '../../util/clock.js';
import { createResponse } from '../message/response.js';
import type { SipRequest, SipResponse } from '../message/types.js';
import type { Flow } from '../transport/types.js';
import { ownString } from '../../util/own-string.js';
import { CompletedKeyHashes } from './completed-key-hashes.js';
import { CompletedResponses } from './completed-responses.js';
import { DeadlineQueues } from './deadline-queues.js';
import { InviteClientTransaction } from './invite-client-transaction.js';
import { InviteServerTransaction } from './invite-server-transaction.js';
import { responseFlow, tagOf } from './message-fields.js';
import { NonInviteClientTransaction } from './non-invite-client-transaction.js';
import { NonInviteServerTransaction } from './non-invite-server-transaction.js';
import { RawClientSlots, slotIn } from './raw-client-slots.js';
import { newBranch } from './branch.js';
import { resolveTimers, type TimerConfig } from './timer-config.js';
import { clientKeyOfRequest, clientKeyOfResponse, serverKey } from './transaction-key.js';
import { TransactionState } from './transaction-state.js';
import type {
  ClientTransaction,
  ClientTransactionHandlers,
  MessageSender,
  RawRequest,
  ResponseStatus,
  ResponseSummary,
  TransactionContext,
  TransactionUser,
} from './types.js';

export interface TransactionLayerOptions {
  clock: Clock;
  sender: MessageSender;
  /**
   * The transaction user. It may be registered later with setTransactionUser (the UA core needs this layer to
   * exist before it can be built); until one is registered, new requests get a stateless 503.
   */
  tu?: TransactionUser;
  timers?: Partial<TimerConfig>;
  /** Bound on live server transactions; past it new requests get 503 + Retry-After without a transaction. */
  maxTransactions?: number;
  /**
   * Bound on completed UDP non-INVITE transactions kept as bytes until Timer J (CompletedResponses); past it the
   * oldest goes early. Default 500 000 (≈ 7 800 REGISTERs/s for the full 32 s, a few hundred MB at most).
   */
  maxCompleted?: number;
  /**
   * Receives exceptions thrown by TU callbacks (they never corrupt transaction state). Without it the exception
   * is rethrown from a microtask, so it surfaces as an uncaught exception instead of vanishing.
   */
  onListenerError?: (err: unknown) => void;
}

/** Messages the layer dropped, for metrics. */
export interface TransactionLayerStats {
  /** Responses that matched no client transaction (section 17.1.3: dropped). */
  unmatchedResponses: number;
  /** Requests answered 503 because the table was full. */
  rejectedOverload: number;
  /** Requests without a usable top Via or CSeq (the parser should have stopped them): dropped. */
  unmatchable: number;
}

type ServerTx = InviteServerTransaction | NonInviteServerTransaction;
type ClientTx = InviteClientTransaction | NonInviteClientTransaction;

/** Retry-After for the overload 503 (section 21.5.4: the client may retry after this many seconds). */
const OVERLOAD_RETRY_AFTER_S = 5;

/**
 * The transaction layer (RFC 3261 section 17): matches incoming messages to transactions, absorbs
 * retransmissions, and hands only new requests and the responses a TU must see upwards.
 */
export class TransactionLayer {
  readonly #sender: MessageSender;
  #tu: TransactionUser | undefined;
  readonly #max: number;
  readonly #onListenerError: ((err: unknown) => void) | undefined;
  readonly #server = new Map<string, ServerTx>();
  readonly #completed: CompletedResponses;
  readonly #client = new Map<string, ClientTx>();
  /** Client transactions of raw requests sent with a rawBranch(). */
  readonly #raw = new RawClientSlots<NonInviteClientTransaction>();
  /** Raw non-INVITE client transactions over UDP in Completed, as hashes of their keys until Timer K. */
  readonly #completedClients: CompletedKeyHashes;
  readonly #serverCtx: TransactionContext;
  readonly #clientCtx: TransactionContext;
  readonly #stats: TransactionLayerStats = { unmatchedResponses: 0, rejectedOverload: 0, unmatchable: 0 };
  #closed = false;
  /** Live client transactions of raw requests: while there are none, no received response is summarised. */
  #rawClients = 0;

  /** Registers the one transaction user that receives new requests and end-to-end ACKs (section 17). */
  setTransactionUser(tu: TransactionUser): void {
    if (this.#tu) throw new Error('the transaction layer already has its transaction user');
    this.#tu = tu;
  }

  constructor(opts: TransactionLayerOptions) {
    this.#sender = opts.sender;
    this.#tu = opts.tu;
    this.#max = opts.maxTransactions ?? 10_000;
    this.#onListenerError = opts.onListenerError;
    const timers = resolveTimers(opts.timers);
    const callOut = (fn: () => void): void => this.#callOut(fn);
    this.#completed = new CompletedResponses(opts.clock, 64 * timers.T1, opts.maxCompleted ?? 500_000);
    this.#completedClients = new CompletedKeyHashes(opts.clock, timers.T4, opts.maxCompleted ?? 500_000);
    this.#serverCtx = {
      clock: opts.clock,
      sender: opts.sender,
      timers,
      callOut,
      retire: (key, bytes) => this.#completed.add(key, bytes),
      onTerminated: (key) => this.#server.delete(key),
    };
    this.#clientCtx = {
      clock: opts.clock,
      // The non-INVITE client transactions (a NOTIFY fan-out starts a thousand at once) share their timers.
      deadlines: new DeadlineQueues(opts.clock),
      sender: opts.sender,
      timers,
      callOut,
      onTerminated: (key) => {
        if (this.#raw.delete(key)) {
          this.#rawClients--;
          return;
        }
        const tx = this.#client.get(key);
        if (tx instanceof NonInviteClientTransaction && tx.takesSummary) this.#rawClients--;
        this.#client.delete(key);
      },
      retireClient: (key) => {
        if (this.#raw.delete(key) || this.#client.delete(key)) this.#rawClients--;
        this.#completedClients.add(key);
      },
    };
  }

  receiveRequest(req: SipRequest, flow: Flow): void {
    if (this.#closed) return;
    const k = serverKey(req);
    if (!k) {
      this.#stats.unmatchable++;
      return;
    }
    if (req.method === 'ACK') {
      this.#receiveAck(req, flow, k.key, k.legacy);
      return;
    }
    const existing = this.#server.get(k.key);
    if (existing) {
      // A retransmission: the transaction answers it (or absorbs it); the TU never sees it twice.
      existing.receiveRetransmission();
      return;
    }
    const kept = this.#completed.get(k.key);
    if (kept !== undefined) {
      // A retransmission after our final response (section 17.2.2, Completed): the same bytes again, to where a
      // response to this copy of the request goes (section 18.2.2; the same place unless the client's NAT moved).
      this.#sender.resend?.({ bytes: kept, to: responseFlow(req.headers, flow) });
      return;
    }
    const tu = this.#tu;
    if (!tu) {
      // Nothing above us yet (start-up): answer statelessly rather than build a transaction nobody serves.
      this.#sender.sendResponse(
        createResponse(req, 503, 'Service Unavailable', { toTag: randomBytes(6).toString('hex') }),
        flow,
      );
      return;
    }
    if (this.#server.size >= this.#max) {
      // Bounded table: shed load statelessly rather than grow without limit (section 21.5.4).
      this.#stats.rejectedOverload++;
      const res = createResponse(req, 503, 'Service Unavailable', {
        toTag: randomBytes(6).toString('hex'),
        headers: [['Retry-After', String(OVERLOAD_RETRY_AFTER_S)]],
      });
      this.#sender.sendResponse(res, flow);
      return;
    }
    let tx: ServerTx;
    // Kept until Timer J (32 s) or longer: its own copy, not a view holding the received message's text.
    const key = ownString(k.key);
    if (req.method === 'INVITE') {
      const invite = new InviteServerTransaction(this.#serverCtx, tu, {
        key,
        request: req,
        flow,
      });
      this.#server.set(key, invite);
      invite.start();
      tx = invite;
    } else {
      const cancels = req.method === 'CANCEL' ? this.#cancelTarget(req) : undefined;
      tx = new NonInviteServerTransaction(this.#serverCtx, tu, {
        key,
        request: req,
        flow,
        ...(cancels ? { cancels } : {}),
      });
      this.#server.set(key, tx);
    }
    this.#callOut(() => tu.onRequest(tx));
  }

  receiveResponse(res: SipResponse, _flow: Flow): void {
    if (this.#closed) return;
    const key = clientKeyOfResponse(res);
    const tx = key === undefined ? undefined : (this.#raw.getByKey(key) ?? this.#client.get(key));
    if (!tx) {
      // A retransmission of the final response to a retired raw request: absorbed in Completed (Timer K).
      if (key !== undefined && this.#completedClients.has(key)) return;
      // Section 18.1.2: a response that matches no client transaction is discarded (we are not a proxy).
      this.#stats.unmatchedResponses++;
      return;
    }
    tx.receiveResponse(res);
  }

  /** Whether a received response may be one of a raw request's (the stack then tries receiveSummary first). */
  get takesSummaries(): boolean {
    return this.#rawClients > 0 || this.#completedClients.size > 0;
  }

  /**
   * A response read only as far as section 17.1.3 needs (top Via branch, CSeq method) and the status line. True
   * when a raw request's transaction took it; false when the caller must parse it in full and call
   * receiveResponse (no such transaction, or one whose TU reads whole responses).
   */
  receiveSummary(s: ResponseSummary): boolean {
    if (this.#closed) return true;
    const slotted = this.#raw.get(s.branch, s.method);
    if (slotted) return slotted.receiveSummary(s);
    const key = `${s.branch}|${s.method}`;
    const tx = this.#client.get(key);
    // Raw requests are never INVITEs: a late 2xx to an INVITE must reach the full parse, whatever its key hashes to.
    if (tx === undefined) return s.method !== 'INVITE' && this.#completedClients.has(key);
    return tx instanceof NonInviteClientTransaction && tx.receiveSummary(s);
  }

  /**
   * Starts a non-INVITE client transaction for a request its dialog serialised (RawRequest; the branch in its
   * bytes is `raw.branch`). Runs the same machine as sendRequest (Timers E, F and K); its TU sees the status line
   * of each response only. INVITE (its ACK, CANCEL and 2xx handling need the request object) and ACK are refused.
   */
  sendRawRequest(raw: RawRequest, to: Flow, handlers: ClientTransactionHandlers<ResponseStatus>): void {
    if (this.#closed) throw new Error('TransactionLayer is closed');
    if (raw.method === 'INVITE' || raw.method === 'ACK')
      throw new TypeError(`${raw.method} is not sent as a raw request`);
    const key = `${raw.branch}|${raw.method}`;
    const tx = new NonInviteClientTransaction(this.#clientCtx, key, { raw, handlers }, to);
    // A branch of rawBranch() is fresh (random part) and names the next free slot: it cannot be in use.
    if (!this.#raw.add(slotIn(raw.branch, raw.branch.length), raw.branch, raw.method, tx)) {
      if (this.#client.has(key) || this.#raw.get(raw.branch, raw.method))
        throw new Error(`a client transaction with branch and method ${key} already exists`);
      this.#client.set(key, tx);
    }
    this.#rawClients++;
    tx.start();
  }

  /**
   * A fresh branch (newBranch, RFC 3261 8.1.1.7) for the next sendRawRequest, naming the slot that request's
   * transaction will take (raw-client-slots.ts): its responses are then matched without a hash table.
   */
  rawBranch(): string {
    return `${newBranch()}.${this.#raw.nextSlot()}`;
  }

  /**
   * Starts a client transaction. The request must already carry its top Via with a fresh branch (`newBranch()`).
   * ACK is never sent through here: the ACK for a non-2xx belongs to the INVITE transaction and the ACK for a 2xx
   * is sent by the dialog layer directly (section 13.2.2.4).
   */
  sendRequest(req: SipRequest, to: Flow, handlers: ClientTransactionHandlers): ClientTransaction {
    if (this.#closed) throw new Error('TransactionLayer is closed');
    if (req.method === 'ACK') throw new TypeError('ACK is not sent through a client transaction');
    const key = clientKeyOfRequest(req);
    if (key === undefined) throw new TypeError('request needs a top Via with a branch parameter');
    if (this.#client.has(key))
      throw new Error(`a client transaction with branch and method ${key} already exists`);
    const tx =
      req.method === 'INVITE'
        ? new InviteClientTransaction(this.#clientCtx, key, req, to, handlers)
        : new NonInviteClientTransaction(this.#clientCtx, key, { request: req, handlers }, to);
    this.#client.set(key, tx);
    tx.start();
    return tx;
  }

  counts(): { client: number; server: number } {
    return {
      client: this.#client.size + this.#raw.size + this.#completedClients.size,
      server: this.#server.size + this.#completed.size,
    };
  }

  stats(): TransactionLayerStats {
    return { ...this.#stats };
  }

  /** Terminates every transaction without notifying anyone and clears every timer. Idempotent. */
  close(): void {
    this.#closed = true;
    for (const tx of [...this.#server.values()]) tx.terminate();
    for (const tx of [...this.#client.values(), ...this.#raw.values()]) tx.terminate();
    this.#server.clear();
    this.#completed.clear();
    this.#completedClients.clear();
    this.#client.clear();
    this.#raw.clear();
    this.#rawClients = 0;
  }

  #receiveAck(req: SipRequest, flow: Flow, key: string, legacy: boolean): void {
    let tx = this.#server.get(key);
    if (!tx && legacy) {
      // Section 17.2.3 (RFC 2543): "the To tag of the ACK matches the To tag of the response sent by the server
      // transaction" - the INVITE itself had no tag, so look it up without one and compare with our response's.
      const k2 = serverKey(req, { withoutToTag: true });
      const candidate = k2 && this.#server.get(k2.key);
      if (candidate instanceof InviteServerTransaction) {
        const ackTag = tagOf(req.headers.get('To'));
        if (ackTag !== undefined && ackTag === candidate.responseToTag) tx = candidate;
      }
    }
    if (tx instanceof InviteServerTransaction) {
      // An ACK to a non-2xx final response is absorbed by the INVITE server transaction (section 17.2.1).
      if (tx.receiveAck() === 'absorbed') return;
    }
    // No transaction (or Accepted, RFC 6026): the end-to-end ACK for a 2xx belongs to the dialog layer.
    const tu = this.#tu;
    if (tu?.onAck) this.#callOut(() => tu.onAck?.(req, flow));
  }

  /** Section 9.2: the INVITE server transaction a CANCEL targets is matched like the CANCEL, but with INVITE. */
  #cancelTarget(req: SipRequest): InviteServerTransaction | undefined {
    const k = serverKey(req, { asMethod: 'INVITE' });
    const tx = k && this.#server.get(k.key);
    return tx instanceof InviteServerTransaction && tx.state !== TransactionState.Terminated ? tx : undefined;
  }

  #callOut(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      if (this.#onListenerError) this.#onListenerError(err);
      else
        queueMicrotask(() => {
          throw err;
        });
    }
  }
}
