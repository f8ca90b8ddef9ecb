import dgram from 'node:dgram';
import { randomInt } from 'node:crypto';
import { RTCPeerConnection, RTCRtpCodecParameters, type RtpPacket } from 'werift';
import type { MediaAddress, MediaLog } from '../media-engine.js';
import { isSendableMediaAddress } from '../net/address.js';
import { GatewayError, type SdpSide } from './media-gateway.js';
import {
  audioSummary,
  firstG711,
  oppositeSetup,
  plainSdp,
  webrtcSdp,
  type AudioSummary,
  type G711,
  type TelephoneEvents,
} from './webrtc-sdp.js';

export interface WeriftLegOptions {
  /** The ICE host candidate address offered to browsers (the media address). */
  iceAddress: string;
  /** Where the plain socket binds; the relay in the same process reaches it there. */
  plainAddress: string;
  icePortRange?: [number, number] | undefined;
  log: MediaLog;
  label: string;
}

/** Longest wait for host candidates; a single host address gathers in a few milliseconds. */
const GATHER_TIMEOUT_MS = 3_000;
const CACHE_SIZE = 8;

/**
 * One call leg through the in-process gateway: a werift peer connection towards the browser (full ICE, DTLS-SRTP,
 * one G.711 format so nothing is transcoded) and one UDP socket towards the relay. werift negotiates once, on the
 * leg's first offer/answer; every later exchange (hold, resume, a transfer's new partner) is answered from the
 * description it wrote then, so ICE and the DTLS association stay as they are.
 */
export class WeriftLeg {
  readonly #o: WeriftLegOptions;
  readonly #socket: dgram.Socket;
  #port = 0;
  #pc: RTCPeerConnection | undefined;
  /** The browser-side description werift wrote (ICE, fingerprint, candidates): every later one derives from it. */
  #template: string | undefined;
  #codec: G711 | undefined;
  /**
   * RFC 4733 telephone-event/8000 on each side, once the first exchange negotiated it on both: the browser's
   * payload number and the relay's may differ, and events are renumbered as they pass. `#offeredEvents` is the
   * first offer's, until its answer settles the pair.
   */
  #events: { webrtc: TelephoneEvents; plain: TelephoneEvents } | undefined;
  #offeredEvents: TelephoneEvents | undefined;
  /** Our DTLS role once the first exchange settled it; written into later descriptions (RFC 8842 section 5.5). */
  #setup: string | undefined;
  #templateSetup: string | undefined;
  #established = false;
  #pending: SdpSide | undefined;
  #lastAnswerFrom: SdpSide | undefined;
  #plainRemote: MediaAddress | undefined;
  readonly #sessionId = randomInt(1, 1e9);
  #version = 0;
  readonly #cache = new Map<string, string>();
  #closed = false;
  /** Packets each way, for tests and logs. */
  readonly stats = { toBrowser: 0, fromBrowser: 0, eventsFromBrowser: 0 };

  constructor(o: WeriftLegOptions) {
    this.#o = o;
    this.#socket = dgram.createSocket('udp4');
    this.#socket.on('message', (msg) => this.#fromRelay(msg));
    this.#socket.on('error', (err) =>
      o.log('debug', 'gateway socket error', { leg: o.label, err: String(err) }),
    );
  }

  async open(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#socket.once('error', reject);
      this.#socket.bind(0, this.#o.plainAddress, () => {
        this.#socket.off('error', reject);
        resolve();
      });
    });
    this.#port = this.#socket.address().port;
  }

  get plainAddress(): MediaAddress {
    return { address: this.#o.plainAddress, port: this.#port };
  }

  async offer(sdp: string, from: SdpSide): Promise<string> {
    const hit = this.#cache.get(`offer ${from}\n${sdp}`);
    if (hit !== undefined) return hit;
    const s = audioSummary(sdp);
    // A new offer starts a new exchange: what was repeated for the last one no longer applies.
    this.#cache.clear();
    let out: string;
    if (from === 'webrtc') {
      if (!this.#established) await this.#acceptBrowserOffer(sdp, s);
      else this.#keepCodec(s);
      out = this.#plain(s, this.#established ? this.#eventsOut(s, 'plain') : s.events);
    } else {
      this.#pointAt(s);
      if (!this.#established) await this.#makeBrowserOffer(s);
      else this.#keepCodec(s);
      out = this.#browser(s, this.#established ? this.#eventsOut(s, 'webrtc') : s.events);
    }
    this.#pending = from;
    this.#remember(`offer ${from}\n${sdp}`, out);
    return out;
  }

  async answer(sdp: string, from: SdpSide): Promise<string> {
    const hit = this.#cache.get(`answer ${from}\n${sdp}`);
    if (hit !== undefined) return hit;
    // A second answer to the same offer (the 200 after an early answer in a 183) replaces the first.
    const again = this.#pending === undefined && this.#lastAnswerFrom === from;
    if (!again && (this.#pending === undefined || this.#pending === from))
      throw new GatewayError('NO_OFFER', 'an answer without an offer from the other side');
    const s = audioSummary(sdp);
    let out: string;
    if (from === 'plain') {
      this.#pointAt(s);
      if (!this.#established) {
        this.#setup = this.#templateSetup;
        this.#settleEvents(this.#offeredEvents, s.events);
        this.#established = true;
      }
      out = this.#browser(s, this.#eventsOut(s, 'webrtc'));
    } else {
      if (!this.#established) {
        await this.#pc!.setRemoteDescription({ type: 'answer', sdp });
        this.#setup = oppositeSetup(s.setup) ?? 'passive';
        this.#settleEvents(s.events, this.#offeredEvents);
        this.#established = true;
      }
      out = this.#plain(s, this.#eventsOut(s, 'plain'));
    }
    // The exchange is complete: only the answer may come again (a retransmitted 2xx); the same offer text later
    // is a new offer, answered in the roles settled now.
    for (const k of [...this.#cache.keys()]) if (k.startsWith('offer ')) this.#cache.delete(k);
    this.#pending = undefined;
    this.#lastAnswerFrom = from;
    this.#remember(`answer ${from}\n${sdp}`, out);
    return out;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.close();
    void this.#pc?.close().catch(() => undefined);
  }

  async #acceptBrowserOffer(sdp: string, s: AudioSummary): Promise<void> {
    this.#codec = firstG711(s);
    this.#offeredEvents = s.events;
    const pc = this.#peer(this.#codec, s.events);
    await pc.setRemoteDescription({ type: 'offer', sdp });
    for (const t of pc.getTransceivers()) t.setDirection('sendrecv');
    // The browser's offer says actpass: we take the DTLS server role (RFC 8842 section 5.3), so the browser starts
    // the handshake as soon as its ICE is up; as the client, werift's first ClientHello arrived before the
    // browser was ready for it and the handshake waited about 100 ms.
    const answer = await pc.createAnswer();
    await pc.setLocalDescription({
      type: 'answer',
      sdp: answer.sdp.replace(/^a=setup:active/gm, 'a=setup:passive'),
    });
    await this.#gathered(pc);
    this.#template = pc.localDescription!.sdp;
    this.#templateSetup = audioSummary(this.#template).setup;
  }

  async #makeBrowserOffer(s: AudioSummary): Promise<void> {
    this.#codec = firstG711(s);
    this.#offeredEvents = s.events;
    const pc = this.#peer(this.#codec, s.events);
    pc.addTransceiver('audio', { direction: 'sendrecv' });
    await pc.setLocalDescription(await pc.createOffer());
    await this.#gathered(pc);
    this.#template = pc.localDescription!.sdp;
  }

  /** A re-offer keeps the leg's format: werift's sender labels every packet with the first negotiated one. */
  #keepCodec(s: AudioSummary): void {
    const c = this.#codec!;
    if (!s.g711.some((f) => f.encoding === c.encoding && f.payloadType === c.payloadType))
      throw new GatewayError('NO_COMMON_CODEC', `the re-offer drops ${c.encoding}`);
  }

  #pointAt(s: AudioSummary): void {
    const to = { address: s.address, port: s.port };
    if (isSendableMediaAddress(to.address, to.port)) this.#plainRemote = to;
  }

  /**
   * Events are carried when the first exchange negotiated them on both sides (werift keeps the formats of that
   * exchange) and the description at hand still lists them; `to` names the side the output is written for.
   */
  #eventsOut(s: AudioSummary, to: SdpSide): TelephoneEvents | undefined {
    const pair = this.#events;
    if (!pair || !s.events) return undefined;
    return { payloadType: pair[to].payloadType, events: s.events.events };
  }

  /** The first answer settles telephone-event: both sides' payload numbers, or none when either lacks it. */
  #settleEvents(webrtc: TelephoneEvents | undefined, plain: TelephoneEvents | undefined): void {
    this.#events = webrtc && plain ? { webrtc, plain } : undefined;
    this.#offeredEvents = undefined;
  }

  #plain(s: AudioSummary, events: TelephoneEvents | undefined): string {
    return plainSdp({
      ...this.plainAddress,
      codec: this.#codec!,
      events,
      direction: s.direction,
      sessionId: this.#sessionId,
      version: ++this.#version,
    });
  }

  #browser(s: AudioSummary, events: TelephoneEvents | undefined): string {
    return webrtcSdp(this.#template!, {
      codec: this.#codec!,
      events,
      direction: s.direction,
      version: ++this.#version,
      setup: this.#setup,
    });
  }

  #remember(key: string, out: string): void {
    this.#cache.set(key, out);
    if (this.#cache.size > CACHE_SIZE) this.#cache.delete(this.#cache.keys().next().value!);
  }

  #peer(codec: G711, events: TelephoneEvents | undefined): RTCPeerConnection {
    // A first offer again before any answer (a challenged INVITE sent anew with another offer) starts over.
    void this.#pc?.close().catch(() => undefined);
    const audio = [
      new RTCRtpCodecParameters({
        mimeType: `audio/${codec.encoding}`,
        clockRate: 8000,
        channels: 1,
        payloadType: codec.payloadType,
      }),
    ];
    // Listed after the voice format, so werift's sender keeps labelling voice with it (it takes the first).
    if (events)
      audio.push(
        new RTCRtpCodecParameters({
          mimeType: 'audio/telephone-event',
          clockRate: 8000,
          channels: 1,
          payloadType: events.payloadType,
          ...(events.events ? { parameters: events.events } : {}),
        }),
      );
    const pc = new RTCPeerConnection({
      codecs: {
        audio,
        video: [],
      },
      headerExtensions: { audio: [], video: [] },
      // One host candidate on the media address, nothing else: no STUN, no interface scan.
      iceUseIpv4: false,
      iceUseIpv6: false,
      iceAdditionalHostAddresses: [this.#o.iceAddress],
      iceInterfaceAddresses: { udp4: this.#o.iceAddress },
      ...(this.#o.icePortRange ? { icePortRange: this.#o.icePortRange } : {}),
      bundlePolicy: 'max-bundle',
    });
    pc.onTrack.subscribe((track) => {
      track.onReceiveRtp.subscribe((rtp: RtpPacket) => this.#fromBrowser(rtp));
    });
    pc.connectionStateChange.subscribe((state) => {
      this.#o.log(state === 'failed' ? 'warn' : 'debug', 'webrtc leg state', { leg: this.#o.label, state });
    });
    this.#pc = pc;
    return pc;
  }

  async #gathered(pc: RTCPeerConnection): Promise<void> {
    if (pc.iceGatheringState === 'complete') return;
    await pc.iceGatheringStateChange.watch((s) => s === 'complete', GATHER_TIMEOUT_MS);
  }

  #fromBrowser(rtp: RtpPacket): void {
    const to = this.#plainRemote;
    if (!to || this.#closed) return;
    const ev = this.#events;
    const pt = rtp.header.payloadType;
    if (pt === ev?.webrtc.payloadType) {
      // An RFC 4733 event (a key of the browser's pad), renumbered for the relay; the marker bit stays.
      rtp.header.payloadType = ev.plain.payloadType;
      this.stats.eventsFromBrowser++;
    } else if (pt !== this.#codec?.payloadType) return;
    this.stats.fromBrowser++;
    this.#socket.send(rtp.serialize(), to.port, to.address);
  }

  #fromRelay(msg: Buffer): void {
    // RTP version 2 only; RTCP (payload types 200-204, RFC 5761 section 4) stays here.
    if (msg.length < 12 || msg[0]! >> 6 !== 2) return;
    // Only voice goes on: werift's sender labels every packet with the voice format, so events or comfort noise
    // would play as noise. A browser neither plays nor reports received RFC 4733 events, so they stop here.
    if ((msg[1]! & 0x7f) !== this.#codec?.payloadType) return;
    const pc = this.#pc;
    if (!pc || !this.#established || this.#closed) return;
    const sender = pc.getTransceivers()[0]?.sender;
    if (!sender) return;
    this.stats.toBrowser++;
    void sender.sendRtp(msg).catch(() => undefined);
  }
}
