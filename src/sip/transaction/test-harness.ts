/** Shared fixtures for the transaction tests: hand-built messages, a recording transport and TU. */
import type { Clock } from '../../util/clock.js';
import { Headers } from '../message/headers.js';
import type { SipRequest, SipResponse } from '../message/types.js';
import type { Flow } from '../transport/types.js';
import { serializeMessage } from '../message/serializer.js';
import type {
  MessageSender,
  ServerTransaction,
  ServerTransactionError,
  TransactionUser,
  WireCopy,
} from './types.js';

export function flow(protocol: Flow['protocol'] = 'udp'): Flow {
  return {
    protocol,
    local: { address: '192.0.2.1', port: 5060 },
    remote: { address: '198.51.100.7', port: 5062 },
    ...(protocol === 'udp' ? {} : { connectionId: 'c1' }),
  };
}

export interface RequestOpts {
  branch?: string;
  sentBy?: string;
  callId?: string;
  cseq?: number;
  cseqMethod?: string;
  fromTag?: string;
  toTag?: string;
  user?: string;
  routes?: string[];
}

export function request(method: string, o: RequestOpts = {}): SipRequest {
  const branch = o.branch ?? 'z9hG4bKabc123';
  const via = `SIP/2.0/UDP ${o.sentBy ?? '198.51.100.7:5062'}` + (branch ? `;branch=${branch}` : '');
  const headers = new Headers([
    ['Via', via],
    ['Via', 'SIP/2.0/UDP 203.0.113.9;branch=z9hG4bKproxy'],
    ...(o.routes ?? []).map((r): [string, string] => ['Route', r]),
    ['Max-Forwards', '70'],
    ['From', `"Alice" <sip:alice@example.com>;tag=${o.fromTag ?? 'ft1'}`],
    ['To', `<sip:${o.user ?? 'bob'}@example.com>` + (o.toTag ? `;tag=${o.toTag}` : '')],
    ['Call-ID', o.callId ?? 'call-1@198.51.100.7'],
    ['CSeq', `${o.cseq ?? 1} ${o.cseqMethod ?? method}`],
    ['Content-Length', '0'],
  ]);
  return {
    type: 'request',
    method,
    uri: { scheme: 'sip', user: o.user ?? 'bob', host: 'example.com', params: new Map(), headers: new Map() },
    version: 'SIP/2.0',
    headers,
    body: Buffer.alloc(0),
  };
}

/** A response to `req` built by hand (the TU's job in production). */
export function responseTo(req: SipRequest, status: number, toTag?: string): SipResponse {
  const headers = new Headers();
  for (const v of req.headers.getAll('Via')) headers.add('Via', v);
  headers.add('From', req.headers.get('From')!);
  headers.add('To', req.headers.get('To')! + (toTag ? `;tag=${toTag}` : ''));
  headers.add('Call-ID', req.headers.get('Call-ID')!);
  headers.add('CSeq', req.headers.get('CSeq')!);
  return { type: 'response', version: 'SIP/2.0', status, reason: 'X', headers, body: Buffer.alloc(0) };
}

export class RecordingSender implements MessageSender {
  readonly requests: Array<{ req: SipRequest; at: number }> = [];
  readonly responses: Array<{ res: SipResponse; at: number }> = [];
  /** Per request sent, what to call when its connect fails later (undefined: the sender cannot be told). */
  readonly onFailed: Array<(() => void) | undefined> = [];
  fail = false;
  readonly #clock: Clock;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  sendRequest(req: SipRequest, _to?: Flow, onFailed?: () => void): boolean {
    this.requests.push({ req, at: this.#clock.now() });
    this.onFailed.push(onFailed);
    return !this.fail;
  }

  sendResponse(res: SipResponse, _to?: Flow, _keep?: (copy: WireCopy) => void): boolean {
    this.responses.push({ res, at: this.#clock.now() });
    return !this.fail;
  }
}

/** A sender like the stack's: hands back what it wrote, so completed UDP transactions retire as bytes. */
export class CopyingSender extends RecordingSender {
  readonly resent: Array<{ copy: WireCopy; at: number }> = [];
  readonly #clock: Clock;

  constructor(clock: Clock) {
    super(clock);
    this.#clock = clock;
  }

  override sendResponse(res: SipResponse, to?: Flow, keep?: (copy: WireCopy) => void): boolean {
    const ok = super.sendResponse(res);
    if (ok && to && keep) keep({ bytes: serializeMessage(res), to });
    return ok;
  }

  resend(copy: WireCopy): boolean {
    this.resent.push({ copy, at: this.#clock.now() });
    return !this.fail;
  }
}

export class RecordingTu implements TransactionUser {
  readonly requests: ServerTransaction[] = [];
  readonly acks: SipRequest[] = [];
  readonly errors: Array<{ tx: ServerTransaction; error: ServerTransactionError }> = [];
  /** Called for every new request, e.g. to answer synchronously. */
  onNew: ((tx: ServerTransaction) => void) | undefined;

  onRequest(tx: ServerTransaction): void {
    this.requests.push(tx);
    this.onNew?.(tx);
  }

  onAck(req: SipRequest): void {
    this.acks.push(req);
  }

  onTransactionError(tx: ServerTransaction, error: ServerTransactionError): void {
    this.errors.push({ tx, error });
  }
}
