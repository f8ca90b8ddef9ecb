import { challengeIsStale, digestAuthorization } from '../../src/sip/auth/digest-client.js';
import type { DigestAlgorithm } from '../../src/sip/auth/index.js';
import { createResponse, formatUri, type SipRequest, type SipResponse } from '../../src/sip/message/index.js';
import type { ServerTransaction } from '../../src/sip/transaction/types.js';
import type { TransportProtocol } from '../../src/sip/transport/types.js';
import { newCallId, newTag } from '../../src/sip/ua/request-builder.js';
import type { UserAgentCore } from '../../src/sip/ua/index.js';
import {
  inviteWithCredentials,
  type Dialog,
  type IncomingInvite,
  type OutgoingInvite,
} from '../../src/sip/ua/index.js';
import { openLink } from './phone-link.js';
import { audioTarget, directionOf, RtpPort, type Direction } from './phone-rtp.js';
import { PhoneStack } from './phone-stack.js';
import {
  NotifyRecorder,
  Subscription,
  waitForCount,
  type PhoneRequest,
  type ReceivedNotify,
  type SubscribeBody,
  type SubscribeSender,
} from './phone-subscription.js';

export type { ReceivedNotify } from './phone-subscription.js';
export { Subscription } from './phone-subscription.js';

export interface PhoneOptions {
  user: string;
  password: string;
  domain: string;
  /** The server's listener for `transport`, host:port. */
  server: string;
  transport?: TransportProtocol;
  /** UDP only: listen here (a carrier behind a trunk is told apart by its address). Default 127.0.0.1, any port. */
  address?: string;
  port?: number;
  /**
   * TCP only: also accept connections, and name the listening port in Via and Contact (as a desk phone does), so
   * the server can reach the phone when the phone's own connection is gone; that one is reopened for the next
   * request.
   */
  listen?: boolean;
  /** Answer only challenges of this algorithm, like a client that knows just one (default: the best offered). */
  algorithm?: DigestAlgorithm;
}

/** What the phone does with an incoming INVITE: answer after a delay, reject with a status, or let it ring. */
export type InviteBehaviour = { answerAfterMs: number } | { reject: number } | 'ignore';

export interface IncomingCall {
  /** The From header value. */
  from: string;
  requestUri: string;
  request: SipRequest;
  invite: IncomingInvite;
}

export interface CallResult {
  status: number;
  reason: string;
  response: SipResponse;
  /** Set when the call was answered. */
  dialog?: Dialog;
}

export interface OutgoingCall {
  readonly result: Promise<CallResult>;
  /** CANCEL (RFC 3261 section 9.1); sent once the first provisional response arrived. */
  cancel(): void;
}

/**
 * The one scripted SIP phone of the tests: a real SIP UA (the project's transaction layer, UA core, parser and
 * digest client) over UDP, TCP or WebSocket, with a plain RTP socket. It registers, calls, answers as told,
 * holds, transfers, subscribes and records NOTIFYs; close() leaves nothing behind on the server (BYE, unsubscribe,
 * unregister), so the leak check after each e2e test holds.
 */
export class TestPhone {
  readonly #o: PhoneOptions;
  readonly #stack: PhoneStack;
  readonly #ua: UserAgentCore;
  readonly rtp: RtpPort;
  /** What to do with the next incoming INVITEs. */
  behaviour: InviteBehaviour = { answerAfterMs: 0 };
  /** Every INVITE that reached the phone outside a dialog, in order. */
  readonly invites: IncomingCall[] = [];
  /** Every confirmed call dialog (placed or answered). */
  readonly dialogs: Dialog[] = [];
  /** Every NOTIFY received, of subscriptions and of REFERs (RFC 3515 sipfrag). */
  readonly notifies: ReceivedNotify[];
  readonly #recorder = new NotifyRecorder();
  readonly #subscriptions: Subscription[] = [];
  readonly #remoteSdp = new WeakMap<Dialog, string>();
  readonly #answered: Array<(d: Dialog) => void> = [];
  readonly #timers = new Set<NodeJS.Timeout>();
  #registered = false;
  /** RFC 3261 10.2: one Call-ID for all registrations of this phone, CSeq rising. */
  readonly #registration = { callId: newCallId(), fromTag: newTag(), cseq: 1 };

  private constructor(o: PhoneOptions, stack: PhoneStack, rtp: RtpPort) {
    this.#o = o;
    this.#stack = stack;
    this.rtp = rtp;
    this.notifies = this.#recorder.list;
    this.#ua = stack.userAgent({
      onRequest: (tx) => this.#onRequest(tx),
      onOutOfDialog: (tx) => this.#onOutOfDialog(tx),
    });
  }

  /** Opens the transport and the RTP socket. */
  static async open(o: PhoneOptions): Promise<TestPhone> {
    const link = await openLink({
      protocol: o.transport ?? 'udp',
      server: o.server,
      ...(o.address !== undefined ? { address: o.address } : {}),
      ...(o.port !== undefined ? { port: o.port } : {}),
      ...(o.listen ? { listen: true } : {}),
    });
    const rtp = new RtpPort(o.address ?? '127.0.0.1');
    await rtp.start();
    return new TestPhone(o, new PhoneStack(link), rtp);
  }

  get aor(): string {
    return `sip:${this.#o.user}@${this.#o.domain}`;
  }

  /** REGISTER our Contact for `expires` seconds (0 removes it), answering the digest challenge. */
  async register(expires = 300): Promise<SipResponse> {
    const local = this.#stack.link.local;
    const contact = `<sip:${this.#o.user}@${local.address}:${local.port};transport=${this.#stack.link.protocol}>`;
    const reg = this.#registration;
    const r = await this.#request({
      method: 'REGISTER',
      requestUri: `sip:${this.#o.domain}`,
      to: `<${this.aor}>`,
      callId: reg.callId,
      fromTag: reg.fromTag,
      cseq: reg.cseq,
      headers: [['Contact', `${contact};expires=${expires}`]],
    });
    reg.cseq = r.cseq + 1;
    if (r.response.status === 200) this.#registered = expires > 0;
    return r.response;
  }

  /** Calls `user` (at our domain) or a full SIP URI; the digest challenge is answered. */
  place(target: string, o: { headers?: Array<[string, string]>; direction?: Direction } = {}): OutgoingCall {
    const uri = target.startsWith('sip:') ? target : `sip:${target}@${this.#o.domain}`;
    const inv: OutgoingInvite = inviteWithCredentials(
      this.#ua,
      {
        flow: this.#stack.link.flow,
        requestUri: uri,
        from: `<${this.aor}>`,
        to: `<${uri}>`,
        body: Buffer.from(this.rtp.sdp(o.direction)),
        contentType: 'application/sdp',
        ...(o.headers ? { headers: o.headers } : {}),
      },
      { username: this.#o.user, password: this.#o.password },
    );
    const result = inv.result.then((r) => {
      if (r.dialog) this.#serve(r.dialog, r.response.body.toString('utf8'));
      return {
        status: r.response.status,
        reason: r.response.reason,
        response: r.response,
        ...(r.dialog ? { dialog: r.dialog } : {}),
      };
    });
    return { result, cancel: () => inv.cancel() };
  }

  /** place() and wait for the final response. */
  dial(target: string, o: { headers?: Array<[string, string]> } = {}): Promise<CallResult> {
    return this.place(target, o).result;
  }

  /** Resolves with the next dialog this phone answers. */
  nextAnswered(): Promise<Dialog> {
    return new Promise((r) => this.#answered.push(r));
  }

  /** Waits (bounded) until `n` INVITEs reached the phone. */
  waitForInvites(n: number, timeoutMs = 5000): Promise<IncomingCall[]> {
    return waitForCount(this.invites, n, 'INVITEs', timeoutMs);
  }

  /** Hold (RFC 3264 section 8.4): a re-INVITE offering sendonly. */
  hold(d: Dialog): Promise<SipResponse> {
    return this.#reinvite(d, 'sendonly');
  }

  resume(d: Dialog): Promise<SipResponse> {
    return this.#reinvite(d, 'sendrecv');
  }

  /** The direction of the peer's latest SDP in `d` (recvonly while we hold it, sendonly while it holds us). */
  remoteDirection(d: Dialog): Direction | undefined {
    const sdp = this.#remoteSdp.get(d);
    return sdp === undefined ? undefined : directionOf(sdp);
  }

  /** Blind transfer (RFC 3515): REFER on `d` to `target` (a user at our domain). */
  blindTransfer(d: Dialog, target: string): Promise<SipResponse> {
    return d.request('REFER', {
      headers: [
        ['Refer-To', `<sip:${target}@${this.#o.domain}>`],
        ['Referred-By', `<${this.aor}>`],
      ],
    });
  }

  /** Attended transfer: REFER on `onDialog` asking the server to connect its peer with the peer of `replace`. */
  attendedTransfer(onDialog: Dialog, replace: Dialog, target: string): Promise<SipResponse> {
    const replaces = encodeURIComponent(TestPhone.replacesFor(replace));
    return onDialog.request('REFER', {
      headers: [
        ['Refer-To', `<sip:${target}@${this.#o.domain}?Replaces=${replaces}>`],
        ['Referred-By', `<${this.aor}>`],
      ],
    });
  }

  /** The Replaces value (RFC 3891) naming `d` as the server sees it: its local tag is our remote tag. */
  static replacesFor(d: Dialog): string {
    return `${d.id.callId};to-tag=${d.id.remoteTag};from-tag=${d.id.localTag}`;
  }

  /** Sends `n` RTP packets to where the peer of `d` wants its audio, 20 ms apart. */
  async sendRtp(d: Dialog, n: number, o: { payloadType?: number; intervalMs?: number } = {}): Promise<void> {
    const to = audioTarget(this.#remoteSdp.get(d) ?? '');
    if (!to) throw new Error('no remote audio address for that dialog');
    await this.rtp.send(to, n, o);
  }

  /**
   * SUBSCRIBE to `uri` (RFC 6665; Event `dialog` unless `headers` name another), answering the digest challenge.
   * The returned subscription holds the final response, its NOTIFYs and the in-dialog refresh and unsubscribe.
   */
  async subscribe(
    uri: string,
    o: { expires?: number; headers?: Array<[string, string]>; body?: SubscribeBody } = {},
  ): Promise<Subscription> {
    const sub = new Subscription({
      sender: this.#subscribeSender,
      recorder: this.#recorder,
      uri,
      headers: o.headers ?? [],
      callId: newCallId(),
      fromTag: newTag(),
    });
    this.#subscriptions.push(sub);
    await sub.send(o.expires ?? 600, o.body);
    return sub;
  }

  /** Waits (bounded) until `n` NOTIFYs reached the phone (of any subscription or REFER). */
  waitForNotifies(n: number, timeoutMs = 5000): Promise<ReceivedNotify[]> {
    return waitForCount(this.notifies, n, 'NOTIFYs', timeoutMs);
  }

  /** Hangs up, unsubscribes, unregisters, then closes transport and media. */
  async close(): Promise<void> {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    await Promise.all(this.dialogs.filter((d) => d.state === 'confirmed').map((d) => d.bye()));
    await Promise.all(this.#subscriptions.filter((s) => s.active).map((s) => s.unsubscribe()));
    if (this.#registered) await this.register(0);
    this.#ua.close();
    await this.#stack.close();
    await this.rtp.close();
  }

  readonly #subscribeSender: SubscribeSender = {
    send: (o) => this.#request({ method: 'SUBSCRIBE', contact: true, ...o }),
  };

  /** An out-of-dialog request; a 401/407 is answered once (again only for a stale nonce, RFC 7616 3.3). */
  async #request(
    o: PhoneRequest & { method: string; contact?: boolean },
  ): Promise<{ response: SipResponse; cseq: number }> {
    let cseq = o.cseq;
    const send = (extra: Array<[string, string]>) =>
      this.#ua.request({
        ...o,
        cseq,
        flow: this.#stack.link.flow,
        from: `<${this.aor}>`,
        headers: [...o.headers, ...extra],
      });
    let response = await send([]);
    for (let answered = 0; answered < 2; answered++) {
      if (response.status !== 401 && response.status !== 407) break;
      if (answered > 0 && !challengeIsStale(response)) break;
      const auth = digestAuthorization(
        this.#onlyAlgorithm(response),
        { method: o.method, uri: o.requestUri },
        { username: this.#o.user, password: this.#o.password },
      );
      if (!auth) break;
      cseq++;
      response = await send([auth]);
    }
    return { response, cseq };
  }

  /** The challenge as a client that supports only `algorithm` sees it. */
  #onlyAlgorithm(res: SipResponse): SipResponse {
    const want = this.#o.algorithm;
    if (want === undefined) return res;
    const headers = res.headers.clone();
    for (const name of ['WWW-Authenticate', 'Proxy-Authenticate']) {
      const keep = headers.getAll(name).filter((v) => new RegExp(`algorithm="?${want}"?(,|$)`, 'i').test(v));
      headers.delete(name);
      for (const v of keep) headers.add(name, v);
    }
    return { ...res, headers };
  }

  #onRequest(tx: ServerTransaction): boolean {
    if (tx.request.method !== 'NOTIFY') return false;
    const sub = this.#subscriptions.find((s) => s.owns(tx.request));
    if (!sub) return false;
    sub.receive(tx);
    return true;
  }

  #onOutOfDialog(tx: ServerTransaction): void {
    const req = tx.request;
    if (req.method === 'OPTIONS') return tx.respond(createResponse(req, 200, undefined, { toTag: newTag() }));
    if (req.method !== 'INVITE') return tx.respond(createResponse(req, 405, undefined, { toTag: newTag() }));
    const invite = this.#ua.incomingInvite(tx);
    this.invites.push({
      from: req.headers.get('From') ?? '',
      requestUri: formatUri(req.uri),
      request: req,
      invite,
    });
    const b = this.behaviour;
    if (b !== 'ignore' && 'reject' in b) return invite.reject(b.reject);
    invite.progress(180);
    if (b === 'ignore') return;
    const offer = req.body.toString('utf8');
    const answer = () => {
      invite.accept({ body: Buffer.from(this.rtp.sdp()), contentType: 'application/sdp' }).then(
        (d) => {
          this.#serve(d, offer);
          for (const cb of this.#answered.splice(0)) cb(d);
        },
        () => undefined, // cancelled or closed before the ACK: nothing to serve
      );
    };
    if (b.answerAfterMs <= 0) return answer();
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (!invite.canceled) answer();
    }, b.answerAfterMs);
    this.#timers.add(timer);
  }

  /** Answers the peer's requests inside a call: NOTIFYs recorded, a re-INVITE answered with our SDP. */
  #serve(d: Dialog, remoteSdp: string): void {
    this.#remoteSdp.set(d, remoteSdp);
    this.dialogs.push(d);
    d.onRequest((tx) => {
      const req = tx.request;
      if (req.method === 'NOTIFY') return void this.#recorder.take(tx);
      if (req.method !== 'INVITE') return tx.respond(createResponse(req, 200));
      const offer = req.body.toString('utf8');
      if (offer) this.#remoteSdp.set(d, offer);
      // RFC 3264 section 6.1: the answer mirrors a sendonly/recvonly offer.
      const mirror: Record<Direction, Direction> = {
        sendrecv: 'sendrecv',
        sendonly: 'recvonly',
        recvonly: 'sendonly',
        inactive: 'inactive',
      };
      const res = createResponse(req, 200, undefined, {
        body: Buffer.from(this.rtp.sdp(offer ? mirror[directionOf(offer)] : 'sendrecv')),
      });
      res.headers.set('Content-Type', 'application/sdp');
      tx.respond(res);
    });
  }

  async #reinvite(d: Dialog, direction: Direction): Promise<SipResponse> {
    const res = await d.request('INVITE', {
      body: Buffer.from(this.rtp.sdp(direction)),
      contentType: 'application/sdp',
    });
    if (res.status >= 200 && res.status < 300 && res.body.length > 0)
      this.#remoteSdp.set(d, res.body.toString('utf8'));
    return res;
  }
}
