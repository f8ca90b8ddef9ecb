import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { setTimeout as sleep } from 'node:timers/promises';
import { computeDigestResponse, computeHa1, parseAuthValue } from '../../../src/sip/auth/index.js';
import { parseMessage, type SipRequest, type SipResponse } from '../../../src/sip/message/index.js';

/** One NOTIFY as the watcher received it. */
export interface ReceivedNotify {
  cseq: number;
  headers: SipRequest['headers'];
  contentType: string;
  body: string;
}

/**
 * A BLF key of a desk phone over raw UDP: SUBSCRIBE (answering the digest challenge), in-dialog refresh and
 * unsubscribe, and a 200 to every NOTIFY, which it records. sipp cannot loop over an open number of NOTIFYs and
 * parse their bodies, hence this small scripted subscriber.
 */
export class BlfWatcher {
  readonly notifies: ReceivedNotify[] = [];
  readonly #o: { user: string; password: string; domain: string; server: string; port?: number };
  #sock!: Socket;
  #waiters: Array<(r: SipResponse) => void> = [];
  #callId = randomBytes(8).toString('hex');
  #fromTag = randomBytes(4).toString('hex');
  #cseq = 1;
  #uri = '';
  #toTag: string | undefined;
  #extra: Array<[string, string]> = [];

  constructor(o: { user: string; password: string; domain: string; server: string; port?: number }) {
    this.#o = o;
  }

  get port(): number {
    return this.#sock.address().port;
  }

  async start(): Promise<void> {
    this.#sock = createSocket('udp4');
    this.#sock.on('message', (m: Buffer, from: { address: string; port: number }) =>
      this.#onMessage(m, from),
    );
    await new Promise<void>((r) => this.#sock.bind(this.#o.port ?? 0, '127.0.0.1', r));
  }

  async close(): Promise<void> {
    await new Promise<void>((r) => this.#sock.close(() => r()));
  }

  /** Initial SUBSCRIBE to `uri` (fresh dialog); returns the final response after the digest round. */
  async subscribe(uri: string, expires: number, extra: Array<[string, string]> = []): Promise<SipResponse> {
    this.#uri = uri;
    this.#callId = randomBytes(8).toString('hex');
    this.#toTag = undefined;
    this.#extra = extra;
    let res = await this.#send(expires);
    if (res.status === 407 || res.status === 401) res = await this.#send(expires, res);
    if (res.status === 200) this.#toTag = /;\s*tag=([^;\s]+)/.exec(res.headers.get('To') ?? '')?.[1];
    return res;
  }

  /** In-dialog SUBSCRIBE (refresh, or `0` to unsubscribe). */
  async resubscribe(expires: number): Promise<SipResponse> {
    let res = await this.#send(expires);
    if (res.status === 407 || res.status === 401) res = await this.#send(expires, res);
    return res;
  }

  /** Waits (bounded) until `n` NOTIFYs arrived. */
  async waitFor(n: number, timeoutMs = 5000): Promise<ReceivedNotify[]> {
    const end = Date.now() + timeoutMs;
    while (this.notifies.length < n) {
      if (Date.now() > end) throw new Error(`got ${this.notifies.length} NOTIFYs, wanted ${n}`);
      await sleep(20);
    }
    return this.notifies.slice(0, n);
  }

  #send(expires: number, challenge?: SipResponse): Promise<SipResponse> {
    const { user, domain, server } = this.#o;
    const [host, port] = server.split(':');
    const local = this.#sock.address();
    const lines = [
      `SUBSCRIBE ${this.#uri} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${local.port};branch=z9hG4bK${randomBytes(6).toString('hex')};rport`,
      `From: <sip:${user}@${domain}>;tag=${this.#fromTag}`,
      `To: <${this.#uri}>${this.#toTag ? `;tag=${this.#toTag}` : ''}`,
      `Call-ID: ${this.#callId}`,
      `CSeq: ${this.#cseq++} SUBSCRIBE`,
      `Contact: <sip:${user}@127.0.0.1:${local.port}>`,
      'Max-Forwards: 70',
      ...(this.#extra.some(([k]) => k.toLowerCase() === 'event') ? [] : ['Event: dialog']),
      `Expires: ${expires}`,
      ...this.#extra.map(([k, v]) => `${k}: ${v}`),
    ];
    if (challenge) {
      const name = challenge.status === 401 ? 'WWW-Authenticate' : 'Proxy-Authenticate';
      const ch = parseAuthValue(challenge.headers.get(name) ?? '')!;
      const realm = ch.params.get('realm')!;
      const nonce = ch.params.get('nonce')!;
      const cnonce = randomBytes(6).toString('hex');
      const response = computeDigestResponse({
        algorithm: 'MD5',
        ha1: computeHa1('MD5', user, realm, this.#o.password),
        nonce,
        method: 'SUBSCRIBE',
        uri: this.#uri,
        qop: 'auth',
        nc: '00000001',
        cnonce,
      });
      lines.push(
        `${challenge.status === 401 ? 'Authorization' : 'Proxy-Authorization'}: Digest username="${user}", realm="${realm}", nonce="${nonce}", uri="${this.#uri}", response="${response}", algorithm=MD5, qop=auth, nc=00000001, cnonce="${cnonce}"`,
      );
    }
    const text = lines.join('\r\n') + '\r\nContent-Length: 0\r\n\r\n';
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no final response to SUBSCRIBE')), 4000);
      this.#waiters.push((r) => {
        clearTimeout(timer);
        resolve(r);
      });
      this.#sock.send(text, Number(port), host);
    });
  }

  #onMessage(m: Buffer, from: { address: string; port: number }): void {
    const r = parseMessage(m);
    if (!r.ok) return;
    const msg = r.message;
    if (msg.type === 'response') {
      if (msg.status < 200) return;
      if (!msg.headers.get('CSeq')?.endsWith('SUBSCRIBE')) return;
      this.#waiters.shift()?.(msg);
      return;
    }
    if (msg.method !== 'NOTIFY') return;
    const cseq = Number(msg.headers.get('CSeq')?.split(' ')[0]);
    // Retransmissions of a NOTIFY we have already recorded are answered again but not recorded twice.
    if (!this.notifies.some((n) => n.cseq === cseq))
      this.notifies.push({
        cseq,
        headers: msg.headers,
        contentType: msg.headers.get('Content-Type') ?? '',
        body: msg.body.toString('utf8'),
      });
    const via = msg.headers.getAll('Via');
    const reply = [
      'SIP/2.0 200 OK',
      ...via.map((v) => `Via: ${v}`),
      `From: ${msg.headers.get('From')}`,
      `To: ${msg.headers.get('To')}`,
      `Call-ID: ${msg.headers.get('Call-ID')}`,
      `CSeq: ${msg.headers.get('CSeq')}`,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    // Loopback only: the source of the datagram is where the server listens (RFC 3581 symmetric response).
    this.#sock.send(reply, from.port, from.address);
  }
}
