import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { computeDigestResponse, computeHa1, parseAuthValue } from '../../../src/sip/auth/index.js';
import { createResponse, formatUri, type SipResponse } from '../../../src/sip/message/index.js';
import { SipStack } from '../../../src/sip/stack.js';
import type { Flow } from '../../../src/sip/transport/types.js';
import { UserAgentCore, type Dialog } from '../../../src/sip/ua/index.js';
import { SystemClock } from '../../../src/util/clock.js';

export type InviteBehaviour = 'answer' | 'decline' | 'ignore';

/**
 * A scripted phone for the call-center tests (like scripted-phone.ts, plus): it counts the RTP that reaches it,
 * sends RTP on request, and answers, declines (603) or ignores incoming INVITEs as told; every INVITE it gets is
 * recorded, so a test can show that a phone never rang.
 */
export class QueuePhone {
  readonly #clock = new SystemClock();
  readonly #o: {
    user: string;
    password: string;
    domain: string;
    server: string;
    sipPort?: number;
    address?: string;
  };
  #stack!: SipStack;
  #ua!: UserAgentCore;
  #rtp!: Socket;
  /** RTP datagrams received. */
  rtpIn = 0;
  /** INVITEs received (From user of each). */
  readonly invites: string[] = [];
  behaviour: InviteBehaviour = 'answer';
  readonly dialogs: Dialog[] = [];
  #remoteRtp = new Map<Dialog, number>();
  #answered: Array<(d: Dialog) => void> = [];

  /** Request-URIs of the INVITEs received. */
  readonly requestUris: string[] = [];

  /**
   * `address`/`sipPort`: listen there (e.g. to play a carrier behind a trunk; the server tells trunks by their
   * address, so a carrier needs its own loopback address); default 127.0.0.1 and any free port.
   */
  constructor(o: {
    user: string;
    password: string;
    domain: string;
    server: string;
    sipPort?: number;
    address?: string;
  }) {
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
    this.#rtp.on('message', () => this.rtpIn++);
    await new Promise<void>((r) => this.#rtp.bind(0, this.#o.address ?? '127.0.0.1', r));
    const ref: { ua?: UserAgentCore } = {};
    this.#stack = new SipStack({
      listen: [{ protocol: 'udp', address: this.#o.address ?? '127.0.0.1', port: this.#o.sipPort ?? 0 }],
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
          if (tx.request.method !== 'INVITE') {
            tx.respond(createResponse(tx.request, 405, undefined, { toTag: 'x' }));
            return;
          }
          this.invites.push(tx.request.headers.get('From') ?? '');
          this.requestUris.push(formatUri(tx.request.uri));
          const inv = this.#ua.incomingInvite(tx);
          if (this.behaviour === 'decline') {
            inv.reject(603);
            return;
          }
          inv.progress(180);
          if (this.behaviour === 'ignore') return;
          const offer = tx.request.body.toString('utf8');
          void inv.accept({ body: Buffer.from(this.sdp()), contentType: 'application/sdp' }).then((d) => {
            this.#serve(d, offer);
            for (const cb of this.#answered.splice(0)) cb(d);
          });
        },
      },
    });
    ref.ua = this.#ua;
  }

  get #addr(): string {
    return this.#o.address ?? '127.0.0.1';
  }

  sdp(): string {
    const port = this.#rtp.address().port;
    return `v=0\r\no=- 1 1 IN IP4 ${this.#addr}\r\ns=-\r\nc=IN IP4 ${this.#addr}\r\nt=0 0\r\nm=audio ${port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n`;
  }

  /** Resolves with the next dialog this phone answers. */
  nextAnswered(): Promise<Dialog> {
    return new Promise((r) => this.#answered.push(r));
  }

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

  async register(expires = 300): Promise<number> {
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
      `<sip:${this.#o.user}@${ep.address}:${ep.port}>;expires=${expires}`,
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

  /** Calls `user`; resolves with the final status and, when answered, the dialog. */
  async dial(user: string): Promise<{ status: number; reason: string; dialog?: Dialog }> {
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
    let r = await this.#ua.invite({ ...base, cseq: 1 }).result;
    if (r.response.status === 407) {
      r = await this.#ua.invite({
        ...base,
        cseq: 2,
        headers: [['Proxy-Authorization', this.#answer(r.response, 'INVITE', base.requestUri)]],
      }).result;
    }
    if (r.dialog) this.#serve(r.dialog, r.response.body.toString('utf8'));
    return {
      status: r.response.status,
      reason: r.response.reason,
      ...(r.dialog ? { dialog: r.dialog } : {}),
    };
  }

  /** Sends `n` PCMU packets of silence to the peer of `d` (from the SDP it sent), 20 ms apart. */
  async sendRtp(d: Dialog, n: number): Promise<void> {
    const port = this.#remoteRtp.get(d);
    if (!port) throw new Error('no remote RTP port for that dialog');
    const ssrc = randomBytes(4).readUInt32BE(0);
    for (let i = 0; i < n; i++) {
      const pkt = Buffer.alloc(12 + 160, 0xff);
      pkt[0] = 0x80;
      pkt[1] = 0;
      pkt.writeUInt16BE(i, 2);
      pkt.writeUInt32BE(i * 160, 4);
      pkt.writeUInt32BE(ssrc, 8);
      this.#rtp.send(pkt, port, '127.0.0.1');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  #serve(d: Dialog, remoteSdp: string): void {
    const m = /m=audio (\d+)/.exec(remoteSdp);
    if (m) this.#remoteRtp.set(d, Number(m[1]));
    this.dialogs.push(d);
    d.onRequest((tx) => tx.respond(createResponse(tx.request, 200)));
  }

  async stop(): Promise<void> {
    this.#ua.close();
    await this.#stack.stop();
    this.#rtp.close();
  }
}
