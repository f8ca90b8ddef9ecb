import type { Clock, TimerHandle } from '../../util/clock.js';
import type {
  MediaAddress,
  MediaCodec,
  MediaEndpoint,
  MediaEndpointStats,
  MediaLog,
  SrtpLegKeys,
} from '../media-engine.js';
import type { NgClient, NgDict } from './ng-client.js';
import { packetsIn } from './rtpengine-gateway.js';

/**
 * One call leg anchored in rtpengine (docs/media.md): a relay endpoint of this process behind one rtpengine call
 * whose two parties are tagged `phone` (the device or trunk; the address our SDP names is rtpengine's port
 * facing it) and `pbx` (pointed either at the relay endpoint, or straight at the partner leg's rtpengine port
 * while a plain two-party bridge needs nothing from this process).
 *
 * Codec and SRTP settings, players, recorders and DTMF all live on the relay endpoint: rtpengine only moves
 * packets (plain RTP/AVP both ways, payloads untouched), so whatever the relay does keeps working once the
 * `pbx` side points at it.
 */

/** The parties of a leg's rtpengine call. */
const PBX = 'pbx';
const PHONE = 'phone';

/**
 * ng options for every offer and answer: plain RTP both ways, RTCP on its own port, our own origin line, and
 * `port-latching` so a re-offer that moves the `pbx` side keeps the port the phone already sends to.
 */
const NG_OPTS: NgDict = {
  'transport-protocol': 'RTP/AVP',
  ICE: 'remove',
  'rtcp-mux': ['demux'],
  replace: ['origin', 'session-connection'],
  flags: ['port-latching'],
};

/**
 * Offers of the `pbx` side add `asymmetric`: rtpengine must not learn that side's address from the packets it
 * receives (a stray packet of the relay endpoint while the bridge goes direct would otherwise win over the partner's
 * port the SDP names). The phone's side keeps learning (NAT, RFC 4961 symmetric RTP).
 */
const NG_PBX_OPTS: NgDict = { ...NG_OPTS, flags: ['port-latching', 'asymmetric'] };

/**
 * The SDP rtpengine gets for either party: only the address matters to it; the formats are the same fixed list
 * on both sides, so it filters nothing (it forwards payload types outside the list unchanged as well).
 */
export function ngSdp(rtp: MediaAddress, version: number, rtcp?: MediaAddress): string {
  const ip = rtp.address.includes(':') ? 'IP6' : 'IP4';
  return (
    `v=0\r\no=zentrale 1 ${version} IN ${ip} ${rtp.address}\r\ns=-\r\nc=IN ${ip} ${rtp.address}\r\nt=0 0\r\n` +
    `m=audio ${rtp.port} RTP/AVP 0 8 9 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n` +
    `a=rtpmap:9 G722/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n` +
    (rtcp ? `a=rtcp:${rtcp.port} IN ${rtcp.address.includes(':') ? 'IP6' : 'IP4'} ${rtcp.address}\r\n` : '') +
    'a=sendrecv\r\n'
  );
}

/** rtpengine's address in an SDP it wrote: RTP from m=/c=, RTCP from a=rtcp (RFC 3605) or RTP + 1. */
export function ngAddressOf(sdp: string): { rtp: MediaAddress; rtcpPort: number } | undefined {
  const m = /^m=audio (\d+) /m.exec(sdp);
  const c = /^c=IN IP[46] (\S+)/m.exec(sdp);
  if (!m || !c) return undefined;
  const port = Number(m[1]);
  const rtcp = /^a=rtcp:(\d+)/m.exec(sdp);
  return { rtp: { address: c[1]!, port }, rtcpPort: rtcp ? Number(rtcp[1]) : port + 1 };
}

/** What the engine tells an endpoint about its bridge partner when it syncs. */
export interface DirectPeer {
  /** The partner's rtpengine port facing the `pbx` side: ours points there while the bridge is direct. */
  pbxAddress(): MediaAddress | undefined;
}

export interface RtpengineEndpointContext {
  ng: NgClient;
  clock: Clock;
  log: MediaLog;
  callId: string;
  inactivityTimeoutMs: number;
  /** Where the leg's `pbx` side points now: the partner's port (direct bridge) or undefined (the relay). */
  directTo: (ep: RtpengineEndpoint) => DirectPeer | undefined;
  /** Something that decides the bridge's mode changed. */
  changed: (ep: RtpengineEndpoint) => void;
  closed: (ep: RtpengineEndpoint) => void;
}

export class RtpengineEndpoint implements MediaEndpoint {
  /** The relay endpoint behind rtpengine: codec, SRTP, players, recorders, DTMF. */
  readonly relay: MediaEndpoint;
  readonly local: { address: string; rtpPort: number; rtcpPort: number };
  readonly #ctx: RtpengineEndpointContext;
  #version = 1;
  /** The phone's address as its SDP gave it. */
  #phone: { rtp: MediaAddress; rtcp: MediaAddress | undefined } | undefined;
  /** rtpengine's port facing the `pbx` side (known once the phone's address was answered). */
  #pbx: MediaAddress | undefined;
  /** Where the `pbx` side points in rtpengine now (the relay endpoint, or a partner's port). */
  #applied: MediaAddress;
  #chain: Promise<void> = Promise.resolve();
  #syncQueued = false;
  #srtp = false;
  #dtmf = false;
  #closed = false;
  #timeoutMs: number;
  #watch: TimerHandle | undefined;
  /** rtpengine's count of packets from the phone at the last look (-1: take the next look as the start). */
  #lastIn = 0;
  #silent = false;
  readonly #inactive: Array<() => void> = [];
  /** Active players and recorders on the relay endpoint (the engine counts them). */
  busy = 0;

  constructor(
    relay: MediaEndpoint,
    ctx: RtpengineEndpointContext,
    local: { address: string; rtpPort: number; rtcpPort: number },
  ) {
    this.relay = relay;
    this.#ctx = ctx;
    this.local = local;
    this.#timeoutMs = ctx.inactivityTimeoutMs;
    this.#applied = { address: relay.local.address, port: relay.local.rtpPort };
    // rtpengine sees every packet of the phone first: the silence watch asks it (#watchTick), not the relay,
    // which hears nothing while the bridge is direct.
    relay.setInactivityTimeout(0);
  }

  /** Creates the leg's rtpengine call: the `pbx` party offers the relay endpoint's address. */
  static async open(relay: MediaEndpoint, ctx: RtpengineEndpointContext): Promise<RtpengineEndpoint> {
    const out = await ctx.ng.offer(
      { 'call-id': ctx.callId, 'from-tag': PBX },
      ngSdp({ address: relay.local.address, port: relay.local.rtpPort }, 1),
      NG_PBX_OPTS,
    );
    const a = ngAddressOf(out);
    if (!a) throw new Error('rtpengine offered no audio address');
    return new RtpengineEndpoint(relay, ctx, {
      address: a.rtp.address,
      rtpPort: a.rtp.port,
      rtcpPort: a.rtcpPort,
    });
  }

  get label(): string {
    return this.relay.label;
  }
  get callId(): string {
    return this.#ctx.callId;
  }
  get latched(): boolean {
    return this.relay.latched;
  }
  get sendingTo(): MediaAddress | undefined {
    return this.#phone?.rtp;
  }
  get codec(): MediaCodec | undefined {
    return this.relay.codec;
  }
  get closed(): boolean {
    return this.#closed;
  }
  /** rtpengine's `pbx`-facing port, once known. */
  get pbxAddress(): MediaAddress | undefined {
    return this.#pbx;
  }
  /** The leg may be bridged past the relay: nothing of this process needs its packets. */
  get plain(): boolean {
    return !this.#closed && !this.#srtp && !this.#dtmf && this.busy === 0 && this.#pbx !== undefined;
  }
  /** Whether the `pbx` side points somewhere else than the relay endpoint now. */
  get direct(): boolean {
    return (
      this.#applied.port !== this.relay.local.rtpPort || this.#applied.address !== this.relay.local.address
    );
  }

  setRemote(rtp: MediaAddress, rtcp?: MediaAddress): void {
    const same =
      this.#phone &&
      this.#phone.rtp.address === rtp.address &&
      this.#phone.rtp.port === rtp.port &&
      this.#phone.rtcp?.port === rtcp?.port &&
      this.#phone.rtcp?.address === rtcp?.address;
    if (same || this.#closed) return;
    this.#phone = { rtp, rtcp };
    this.#run(async () => {
      await this.#answer();
      this.#armWatch();
    });
    this.#ctx.changed(this);
  }

  setCodec(c: MediaCodec): void {
    this.relay.setCodec(c);
    this.#ctx.changed(this);
  }

  setSrtp(keys: SrtpLegKeys | undefined): void {
    this.relay.setSrtp?.(keys);
    this.#srtp = keys !== undefined;
    this.#ctx.changed(this);
  }

  onDtmf(cb: (digit: string, durationMs: number) => void): void {
    // Telephone-events reach this process only through the relay: a leg listening for digits stays on it.
    this.#dtmf = true;
    this.relay.onDtmf(cb);
    this.#ctx.changed(this);
  }

  onInactive(cb: () => void): void {
    this.#inactive.push(cb);
  }

  setInactivityTimeout(ms: number): void {
    this.#timeoutMs = Math.max(0, ms);
    this.#ctx.clock.clearTimeout(this.#watch);
    this.#watch = undefined;
    this.#silent = false;
    this.#lastIn = -1;
    this.#armWatch();
  }

  stats(): MediaEndpointStats {
    return this.relay.stats();
  }

  /** Points the `pbx` side where the bridge's mode wants it (queued behind the leg's other ng commands). */
  sync(): void {
    if (this.#syncQueued || this.#closed) return;
    this.#syncQueued = true;
    this.#run(async () => {
      this.#syncQueued = false;
      const want = this.#ctx.directTo(this)?.pbxAddress() ?? {
        address: this.relay.local.address,
        port: this.relay.local.rtpPort,
      };
      if (want.address === this.#applied.address && want.port === this.#applied.port) return;
      await this.#ctx.ng.offer(
        { 'call-id': this.#ctx.callId, 'from-tag': PBX },
        ngSdp(want, ++this.#version),
        NG_PBX_OPTS,
      );
      this.#applied = want;
      if (this.#phone) await this.#answer();
      this.#ctx.log('debug', 'rtpengine leg points', {
        label: this.label,
        rtpengine: this.#ctx.callId,
        direct: this.direct,
      });
    });
  }

  /** Resolves once every ng command queued so far went through. */
  settled(): Promise<void> {
    return this.#chain;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#ctx.clock.clearTimeout(this.#watch);
    this.#watch = undefined;
    this.relay.close();
    this.#ctx.closed(this);
  }

  async #answer(): Promise<void> {
    const p = this.#phone;
    if (!p) return;
    const out = await this.#ctx.ng.answer(
      { 'call-id': this.#ctx.callId, 'from-tag': PBX, 'to-tag': PHONE },
      ngSdp(p.rtp, ++this.#version, p.rtcp),
      NG_OPTS,
    );
    const a = ngAddressOf(out);
    if (!a || this.#closed) return;
    const first = this.#pbx === undefined;
    this.#pbx = a.rtp;
    if (first) {
      this.relay.setRemote(a.rtp, { address: a.rtp.address, port: a.rtcpPort });
      // The partner may wait for this port to go direct.
      this.#ctx.changed(this);
    }
  }

  #run(op: () => Promise<void>): void {
    this.#chain = this.#chain.then(async () => {
      if (this.#closed) return;
      try {
        await op();
      } catch (e) {
        this.#ctx.log('warn', 'rtpengine command failed', {
          label: this.label,
          rtpengine: this.#ctx.callId,
          err: String(e),
        });
      }
    });
  }

  #armWatch(): void {
    if (this.#closed || this.#timeoutMs <= 0 || this.#watch !== undefined || !this.#phone) return;
    this.#watch = this.#ctx.clock.setTimeout(() => {
      this.#watch = undefined;
      this.#run(() => this.#watchTick());
    }, this.#timeoutMs);
  }

  /** One look at rtpengine's counter of packets from the phone: unchanged for a whole period is silence. */
  async #watchTick(): Promise<void> {
    const r = await this.#ctx.ng.query({ 'call-id': this.#ctx.callId }).catch(() => undefined);
    if (this.#closed) return;
    const n = packetsIn(r, PHONE);
    if (n !== undefined) {
      if (n === this.#lastIn && !this.#silent) {
        this.#silent = true;
        this.#ctx.log('info', 'media inactive', { label: this.label, silentMs: this.#timeoutMs });
        for (const cb of this.#inactive) cb();
      } else if (n !== this.#lastIn) this.#silent = false;
      this.#lastIn = n;
    }
    this.#armWatch();
  }
}
