import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { bdecode, bencode, type BValue } from './bencode.js';

/**
 * A client for rtpengine's ng control protocol: each message is `<cookie> <bencoded dictionary>` in one UDP
 * datagram, the reply carries the same cookie. rtpengine keeps the replies it sent by cookie for a while and
 * answers a repeated cookie from that cache without doing the command again, which makes a retransmission safe —
 * and makes a cookie reused after our restart dangerous (it would get another call's old answer). Cookies are
 * therefore a random per-process prefix plus a counter.
 */

export type NgDict = { [key: string]: BValue };

export type NgErrorCode = 'NG_TIMEOUT' | 'NG_ERROR' | 'NG_BAD_REPLY' | 'NG_CLOSED';

export class NgError extends Error {
  readonly code: NgErrorCode;
  constructor(code: NgErrorCode, message: string) {
    super(message);
    this.name = 'NgError';
    this.code = code;
  }
}

export interface NgClientOptions {
  host: string;
  port: number;
  /** Wait this long for a reply before sending the same message again. Default 1000 ms. */
  timeoutMs?: number;
  /** Retransmissions after the first send (same cookie). Default 2. */
  retries?: number;
}

/** The parameters every call-scoped command takes (rtpengine's names). */
export interface NgCallRef {
  'call-id': string;
  'from-tag'?: string;
  'to-tag'?: string;
}

interface Pending {
  resolve: (v: NgDict) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class NgClient {
  readonly #o: Required<NgClientOptions>;
  readonly #prefix = randomBytes(6).toString('hex');
  #seq = 0;
  #socket: dgram.Socket | undefined;
  #bound: Promise<dgram.Socket> | undefined;
  readonly #pending = new Map<string, Pending>();
  #closed = false;

  constructor(o: NgClientOptions) {
    this.#o = { timeoutMs: 1000, retries: 2, ...o };
  }

  /** Where the daemon listens, as given. */
  get target(): string {
    return `${this.#o.host}:${this.#o.port}`;
  }

  async ping(): Promise<void> {
    const r = await this.request('ping', {});
    if (r.result !== 'pong') throw new NgError('NG_BAD_REPLY', `ping answered ${String(r.result)}`);
  }

  /** An SDP offer through rtpengine; the reply's `sdp` is the offer rewritten for the answerer. */
  async offer(ref: NgCallRef, sdp: string, opts: NgDict = {}): Promise<string> {
    return sdpOf(await this.request('offer', { ...opts, ...ref, sdp }));
  }

  /** The answer to the call's offer (`from-tag` is the offerer's tag, `to-tag` the answerer's). */
  async answer(ref: NgCallRef, sdp: string, opts: NgDict = {}): Promise<string> {
    return sdpOf(await this.request('answer', { ...opts, ...ref, sdp }));
  }

  /**
   * Ends the call (or, with a from-tag, one party's side) and hands back its final statistics (the shape of a
   * query reply); an unknown call is not an error here (undefined).
   */
  async delete(ref: NgCallRef, opts: NgDict = {}): Promise<NgDict | undefined> {
    try {
      return await this.request('delete', { ...opts, ...ref });
    } catch (e) {
      if (e instanceof NgError && e.code === 'NG_ERROR' && /unknown call/i.test(e.message)) return undefined;
      throw e;
    }
  }

  async query(ref: NgCallRef): Promise<NgDict> {
    return this.request('query', { ...ref });
  }

  /** Sends one command and resolves its reply; `result: error` rejects with NG_ERROR and rtpengine's reason. */
  async request(command: string, params: NgDict): Promise<NgDict> {
    if (this.#closed) throw new NgError('NG_CLOSED', 'the ng client is closed');
    const sock = await this.#open();
    const cookie = `${this.#prefix}_${++this.#seq}`;
    const msg = Buffer.concat([Buffer.from(`${cookie} `), bencode({ ...params, command })]);
    const reply = await new Promise<NgDict>((resolve, reject) => {
      let sends = 0;
      const send = (): void => {
        sends++;
        sock.send(msg, this.#o.port, this.#o.host);
      };
      const arm = (): NodeJS.Timeout =>
        setTimeout(() => {
          if (sends > this.#o.retries) {
            this.#pending.delete(cookie);
            reject(new NgError('NG_TIMEOUT', `no reply from rtpengine at ${this.target} to ${command}`));
            return;
          }
          send();
          const p = this.#pending.get(cookie);
          if (p) p.timer = arm();
        }, this.#o.timeoutMs);
      this.#pending.set(cookie, { resolve, reject, timer: arm() });
      send();
    });
    if (reply.result === 'error')
      throw new NgError('NG_ERROR', `rtpengine ${command}: ${String(reply['error-reason'] ?? 'error')}`);
    return reply;
  }

  /** Outstanding requests (for leak checks). */
  get pending(): number {
    return this.#pending.size;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const [cookie, p] of this.#pending) {
      clearTimeout(p.timer);
      p.reject(new NgError('NG_CLOSED', 'the ng client is closed'));
      this.#pending.delete(cookie);
    }
    const s = this.#socket;
    this.#socket = undefined;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }

  #open(): Promise<dgram.Socket> {
    this.#bound ??= new Promise<dgram.Socket>((resolve, reject) => {
      const s = dgram.createSocket(this.#o.host.includes(':') ? 'udp6' : 'udp4');
      s.once('error', reject);
      s.on('message', (m) => this.#onReply(m));
      s.bind(0, () => {
        s.off('error', reject);
        // A later socket error (ICMP unreachable on some systems) must not crash the process: retries cover it.
        s.on('error', () => undefined);
        this.#socket = s;
        resolve(s);
      });
    });
    return this.#bound;
  }

  #onReply(m: Buffer): void {
    const space = m.indexOf(0x20);
    if (space <= 0) return;
    const cookie = m.toString('latin1', 0, space);
    const p = this.#pending.get(cookie);
    if (!p) return; // a late duplicate of a reply we already took
    this.#pending.delete(cookie);
    clearTimeout(p.timer);
    let v: BValue;
    try {
      v = bdecode(m.subarray(space + 1));
    } catch (e) {
      p.reject(new NgError('NG_BAD_REPLY', `undecodable reply: ${(e as Error).message}`));
      return;
    }
    if (typeof v !== 'object' || Array.isArray(v)) {
      p.reject(new NgError('NG_BAD_REPLY', 'reply is not a dictionary'));
      return;
    }
    p.resolve(v);
  }
}

function sdpOf(r: NgDict): string {
  if (typeof r.sdp !== 'string') throw new NgError('NG_BAD_REPLY', 'reply without sdp');
  return r.sdp;
}
