import { randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import {
  computeDigestResponse,
  computeHa1,
  parseAuthValue,
  type DigestAlgorithm,
} from '../../../src/sip/auth/index.js';
import { parseMessage, type SipResponse } from '../../../src/sip/message/index.js';

/**
 * A minimal SIP-over-WebSocket phone (RFC 7118) for the tests: the `ws` library is the real WebSocket peer; the
 * SIP it speaks is written out by hand here, as a browser softphone would send it.
 */
export class WsPhone {
  readonly #ws: WebSocket;
  readonly #queue: SipResponse[] = [];
  #waiter: ((r: SipResponse) => void) | undefined;

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.on('message', (data: Buffer) => {
      const p = parseMessage(Buffer.from(data));
      if (!p.ok || p.message.type !== 'response') return;
      const w = this.#waiter;
      this.#waiter = undefined;
      if (w) w(p.message);
      else this.#queue.push(p.message);
    });
  }

  static async connect(hostPort: string, protocol = 'sip'): Promise<WsPhone> {
    const ws = new WebSocket(`ws://${hostPort}`, protocol);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new WsPhone(ws);
  }

  send(text: string): void {
    this.#ws.send(text);
  }

  next(timeoutMs = 3000): Promise<SipResponse> {
    const r = this.#queue.shift();
    if (r) return Promise.resolve(r);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no response over WebSocket')), timeoutMs);
      this.#waiter = (x) => {
        clearTimeout(t);
        resolve(x);
      };
    });
  }

  /** REGISTER → 401 → REGISTER with digest (`algorithm` of the offered challenges) → final response. */
  async register(o: {
    user: string;
    domain: string;
    password: string;
    algorithm: DigestAlgorithm;
    expires?: number;
  }): Promise<SipResponse> {
    const callId = randomBytes(8).toString('hex');
    const fromTag = randomBytes(4).toString('hex');
    const contact = `<sip:${o.user}@${randomBytes(4).toString('hex')}.invalid;transport=ws>`;
    const build = (cseq: number, auth?: string) =>
      [
        `REGISTER sip:${o.domain} SIP/2.0`,
        `Via: SIP/2.0/WSS ${randomBytes(4).toString('hex')}.invalid;branch=z9hG4bK${randomBytes(8).toString('hex')}`,
        `Max-Forwards: 70`,
        `From: <sip:${o.user}@${o.domain}>;tag=${fromTag}`,
        `To: <sip:${o.user}@${o.domain}>`,
        `Call-ID: ${callId}`,
        `CSeq: ${cseq} REGISTER`,
        `Contact: ${contact};expires=${o.expires ?? 300}`,
        ...(auth ? [`Authorization: ${auth}`] : []),
        `Content-Length: 0`,
        '',
        '',
      ].join('\r\n');
    this.send(build(1));
    const challenge = await this.next();
    if (challenge.status !== 401) return challenge;
    const offered = challenge.headers
      .getAll('WWW-Authenticate')
      .map((v) => parseAuthValue(v)!)
      .find((c) => c.params.get('algorithm') === o.algorithm);
    if (!offered) throw new Error(`no ${o.algorithm} challenge offered`);
    const nonce = offered.params.get('nonce')!;
    const realm = offered.params.get('realm')!;
    const uri = `sip:${o.domain}`;
    const cnonce = randomBytes(8).toString('hex');
    const response = computeDigestResponse({
      algorithm: o.algorithm,
      ha1: computeHa1(o.algorithm, o.user, realm, o.password),
      nonce,
      method: 'REGISTER',
      uri,
      qop: 'auth',
      nc: '00000001',
      cnonce,
    });
    this.send(
      build(
        2,
        `Digest username="${o.user}", realm="${realm}", nonce="${nonce}", uri="${uri}", response="${response}", ` +
          `algorithm=${o.algorithm}, qop=auth, nc=00000001, cnonce="${cnonce}", opaque="${offered.params.get('opaque') ?? ''}"`,
      ),
    );
    return this.next();
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#ws.once('close', () => resolve());
      this.#ws.close();
    });
  }
}
