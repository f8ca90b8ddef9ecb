import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { computeDigestResponse, computeHa1, parseAuthValue } from '../../../src/sip/auth/index.js';
import { createResponse, type SipResponse } from '../../../src/sip/message/index.js';
import { SipStack } from '../../../src/sip/stack.js';
import type { ServerTransaction } from '../../../src/sip/transaction/types.js';
import type { Flow } from '../../../src/sip/transport/types.js';
import { UserAgentCore, type Dialog } from '../../../src/sip/ua/index.js';
import { SystemClock } from '../../../src/util/clock.js';

/**
 * A scripted SIP phone for flows baresip 1.0 cannot do (attended transfer: two calls and a REFER with
 * Replaces). It is a separate SIP stack talking to the server over real UDP; its media is a socket that
 * swallows whatever RTP reaches it.
 */
export class ScriptedPhone {
  readonly #clock = new SystemClock();
  readonly #o: { user: string; password: string; domain: string; server: string };
  #stack!: SipStack;
  #ua!: UserAgentCore;
  #rtp!: Socket;
  #incoming: Array<(tx: ServerTransaction) => void> = [];
  readonly notifies: string[] = [];

  constructor(o: { user: string; password: string; domain: string; server: string }) {
    this.#o = o;
  }

  get #serverFlow(): Flow {
    const [address, port] = this.#o.server.split(':');
    return {
      protocol: 'udp',
      local: this.#stack.transport.localEndpoint('udp')!,
      remote: { address: address!, port: Number(port) },
    };
  }

  async start(): Promise<void> {
    this.#rtp = createSocket('udp4');
    await new Promise<void>((r) => this.#rtp.bind(0, '127.0.0.1', r));
    const ref: { ua?: UserAgentCore } = {};
    this.#stack = new SipStack({
      listen: [{ protocol: 'udp', address: '127.0.0.1', port: 0 }],
      clock: this.#clock,
      tu: { onRequest: (tx) => ref.ua?.onRequest(tx), onAck: (req, flow) => ref.ua?.onAck(req, flow) },
    });
    await this.#stack.start();
    this.#ua = new UserAgentCore({
      clock: this.#clock,
      transactions: this.#stack.transactions,
      sender: this.#stack,
      localEndpoint: (p) => this.#stack.transport.localEndpoint(p),
      app: {
        onRequest: (tx) => {
          const w = this.#incoming.shift();
          if (w && tx.request.method === 'INVITE') w(tx);
          else tx.respond(createResponse(tx.request, 405, undefined, { toTag: 'x' }));
        },
      },
    });
    ref.ua = this.#ua;
  }

  sdp(): string {
    const port = this.#rtp.address().port;
    return `v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n`;
  }

  /** The Authorization value answering a 401/407 challenge. */
  #answer(res: SipResponse, method: string, uri: string): string {
    const header = res.status === 401 ? 'WWW-Authenticate' : 'Proxy-Authenticate';
    const ch = parseAuthValue(res.headers.get(header) ?? '')!;
    const realm = ch.params.get('realm')!;
    const nonce = ch.params.get('nonce')!;
    const cnonce = randomBytes(6).toString('hex');
    const response = computeDigestResponse({
      algorithm: 'MD5',
      ha1: computeHa1('MD5', this.#o.user, realm, this.#o.password),
      nonce,
      method,
      uri,
      qop: 'auth',
      nc: '00000001',
      cnonce,
    });
    return `Digest username="${this.#o.user}", realm="${realm}", nonce="${nonce}", uri="${uri}", response="${response}", algorithm=MD5, qop=auth, nc=00000001, cnonce="${cnonce}"`;
  }

  async register(): Promise<number> {
    const ep = this.#stack.transport.localEndpoint('udp')!;
    const base = {
      method: 'REGISTER',
      flow: this.#serverFlow,
      requestUri: `sip:${this.#o.domain}`,
      from: `<sip:${this.#o.user}@${this.#o.domain}>`,
      to: `<sip:${this.#o.user}@${this.#o.domain}>`,
      callId: randomBytes(8).toString('hex'),
      fromTag: randomBytes(4).toString('hex'),
    };
    const contact: [string, string] = [
      'Contact',
      `<sip:${this.#o.user}@${ep.address}:${ep.port}>;expires=300`,
    ];
    const first = await this.#ua.request({ ...base, cseq: 1, headers: [contact] });
    if (first.status !== 401) return first.status;
    const second = await this.#ua.request({
      ...base,
      cseq: 2,
      headers: [contact, ['Authorization', this.#answer(first, 'REGISTER', base.requestUri)]],
    });
    return second.status;
  }

  /** Waits for the next INVITE and answers it; resolves with the confirmed dialog. */
  answerNext(): Promise<Dialog> {
    return new Promise((resolve, reject) => {
      this.#incoming.push((tx) => {
        const inv = this.#ua.incomingInvite(tx);
        inv.accept({ body: Buffer.from(this.sdp()), contentType: 'application/sdp' }).then((d) => {
          this.#serve(d);
          resolve(d);
        }, reject);
      });
    });
  }

  /** Calls `user` through the server (answering the 407 challenge); resolves with the confirmed dialog. */
  async call(user: string, extraHeaders: Array<[string, string]> = []): Promise<Dialog> {
    const base = {
      flow: this.#serverFlow,
      requestUri: `sip:${user}@${this.#o.domain}`,
      from: `<sip:${this.#o.user}@${this.#o.domain}>`,
      to: `<sip:${user}@${this.#o.domain}>`,
      body: Buffer.from(this.sdp()),
      contentType: 'application/sdp',
      callId: randomBytes(8).toString('hex'),
      fromTag: randomBytes(4).toString('hex'),
    };
    const first = await this.#ua.invite({ ...base, cseq: 1, headers: extraHeaders }).result;
    let r = first;
    if (first.response.status === 407) {
      r = await this.#ua.invite({
        ...base,
        cseq: 2,
        headers: [
          ...extraHeaders,
          ['Proxy-Authorization', this.#answer(first.response, 'INVITE', base.requestUri)],
        ],
      }).result;
    }
    if (!r.dialog) throw new Error(`call to ${user} failed: ${r.response.status}`);
    this.#serve(r.dialog);
    return r.dialog;
  }

  /** The Replaces header value (RFC 3891) naming `d` as the server sees it: its local tag is our remote tag. */
  static replacesFor(d: Dialog): string {
    return `${d.id.callId};to-tag=${d.id.remoteTag};from-tag=${d.id.localTag}`;
  }

  /** REFER on `onDialog` asking the server to connect its peer with the peer of `replace` (RFC 3891). */
  attendedTransfer(onDialog: Dialog, replace: Dialog, targetUser: string): Promise<SipResponse> {
    const replaces = encodeURIComponent(
      `${replace.id.callId};to-tag=${replace.id.remoteTag};from-tag=${replace.id.localTag}`,
    );
    return onDialog.request('REFER', {
      headers: [
        ['Refer-To', `<sip:${targetUser}@${this.#o.domain}?Replaces=${replaces}>`],
        ['Referred-By', `<sip:${this.#o.user}@${this.#o.domain}>`],
      ],
    });
  }

  #serve(d: Dialog): void {
    d.onRequest((tx) => {
      if (tx.request.method === 'NOTIFY') this.notifies.push(tx.request.body.toString('utf8').trim());
      tx.respond(createResponse(tx.request, 200));
    });
  }

  async stop(): Promise<void> {
    this.#ua.close();
    await this.#stack.stop();
    this.#rtp.close();
  }
}
