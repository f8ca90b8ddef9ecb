/**
 * Test fixture: two UserAgentCores back to back over an in-memory network. Every message is serialized and
 * parsed again (as on the wire); delivery is queued, never re-entrant, and a drop rule can lose messages.
 */
import { FakeClock } from '../../util/clock.js';
import {
  parseMessage,
  serializeMessage,
  type SipMessage,
  type SipRequest,
  type SipResponse,
} from '../message/index.js';
import { TransactionLayer } from '../transaction/transaction-layer.js';
import type { MessageSender, ServerTransaction } from '../transaction/types.js';
import type { Endpoint, Flow } from '../transport/types.js';
import { UserAgentCore } from './user-agent-core.js';

export class Peer implements MessageSender {
  readonly name: 'a' | 'b';
  readonly ep: Endpoint;
  readonly transactions: TransactionLayer;
  readonly ua: UserAgentCore;
  readonly appRequests: ServerTransaction[] = [];
  /** What the app does with an out-of-dialog request. */
  onApp: ((tx: ServerTransaction) => void) | undefined;
  readonly #net: Net;

  constructor(net: Net, name: 'a' | 'b', ep: Endpoint) {
    this.#net = net;
    this.name = name;
    this.ep = ep;
    this.transactions = new TransactionLayer({
      clock: net.clock,
      sender: this,
      onListenerError: (err) => net.errors.push(err),
    });
    this.ua = new UserAgentCore({
      clock: net.clock,
      transactions: this.transactions,
      sender: this,
      localEndpoint: () => this.ep,
      userAgent: `test-${name}`,
      app: {
        onRequest: (tx) => {
          this.appRequests.push(tx);
          this.onApp?.(tx);
        },
      },
      log: (level, msg, fields) => {
        if (level === 'error') net.errors.push(new Error(`${msg} ${JSON.stringify(fields)}`));
      },
    });
    this.transactions.setTransactionUser(this.ua);
  }

  /** The flow for sending to the other peer. */
  flowTo(other: Peer): Flow {
    return { protocol: 'udp', local: this.ep, remote: other.ep };
  }

  sendRequest(req: SipRequest, to: Flow): boolean {
    this.#net.send(this, req, to);
    return true;
  }

  sendResponse(res: SipResponse, requestFlow: Flow): boolean {
    this.#net.send(this, res, requestFlow);
    return true;
  }

  receive(msg: SipMessage, flow: Flow): void {
    if (msg.type === 'request') this.transactions.receiveRequest(msg, flow);
    else this.transactions.receiveResponse(msg, flow);
  }
}

export interface Sent {
  from: 'a' | 'b';
  msg: SipMessage;
  dropped: boolean;
}

export class Net {
  readonly clock = new FakeClock();
  readonly errors: unknown[] = [];
  readonly a: Peer;
  readonly b: Peer;
  readonly log: Sent[] = [];
  /** Return true to lose the message. */
  drop: (msg: SipMessage, from: 'a' | 'b') => boolean = () => false;
  readonly #queue: Array<() => void> = [];

  constructor() {
    this.a = new Peer(this, 'a', { address: '10.0.0.1', port: 5060 });
    this.b = new Peer(this, 'b', { address: '10.0.0.2', port: 5060 });
  }

  send(from: Peer, msg: SipMessage, flow: Flow): void {
    const bytes = serializeMessage(msg);
    const parsed = parseMessage(bytes);
    if (!parsed.ok) throw new Error(`unparsable message sent: ${parsed.reason}\n${bytes.toString()}`);
    const dropped = this.drop(parsed.message, from.name);
    this.log.push({ from: from.name, msg: parsed.message, dropped });
    if (dropped) return;
    const to = from === this.a ? this.b : this.a;
    const inFlow: Flow = { protocol: flow.protocol, local: to.ep, remote: from.ep };
    this.#queue.push(() => to.receive(parsed.message, inFlow));
  }

  /** Delivers queued messages and lets promise callbacks run, until nothing moves. */
  async drain(): Promise<void> {
    for (let i = 0; i < 10_000; i++) {
      await new Promise((r) => setImmediate(r));
      const next = this.#queue.shift();
      if (!next) return;
      next();
    }
    throw new Error('network did not settle');
  }

  /** Advances the fake clock in small steps, delivering what the fired timers send. */
  async advance(ms: number, step = 50): Promise<void> {
    for (let t = 0; t < ms; t += step) {
      this.clock.advance(Math.min(step, ms - t));
      await this.drain();
    }
  }

  /** Messages sent so far matching a predicate (start line), e.g. `sent('a', 'BYE')` or `sent('b', 200)`. */
  sent(from: 'a' | 'b', what: string | number, opts: { includeDropped?: boolean } = {}): SipMessage[] {
    return this.log
      .filter((s) => s.from === from && (opts.includeDropped || !s.dropped))
      .map((s) => s.msg)
      .filter((m) =>
        typeof what === 'number'
          ? m.type === 'response' && m.status === what
          : m.type === 'request' && m.method === what,
      );
  }

  /** Lets every transaction and UA timer run out, then closes both sides. */
  async finish(): Promise<void> {
    await this.advance(40_000, 500);
    this.a.ua.close();
    this.b.ua.close();
    this.a.transactions.close();
    this.b.transactions.close();
  }
}
