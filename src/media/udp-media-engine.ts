import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { encodeForPlayback, transcodableEncoding, type TranscodableEncoding } from './codec/transcoder.js';
import {
  MediaError,
  type AudioSource,
  type MediaBridge,
  type MediaEndpoint,
  type MediaEngine,
  type MediaEngineOptions,
  type MediaLog,
  type MediaPlayer,
  type MediaRecorder,
} from './media-engine.js';
import { DtmfSender } from './dtmf-sender.js';
import { UdpMediaPlayer } from './media-player.js';
import { RtpRecorder } from './media-recorder.js';
import { literalLookup } from './net/address.js';
import { UdpMediaEndpoint, type EndpointContext } from './udp-media-endpoint.js';
import { WorkerMediaEngine } from './worker/worker-media-engine.js';

const SILENCE = { PCMU: 0xff, PCMA: 0xd5, G722: 0xff } as const;

/** The in-process MediaEngine: UDP sockets in this Node process. */
export class UdpMediaEngine implements MediaEngine {
  readonly #o: MediaEngineOptions;
  readonly #log: MediaLog;
  readonly #ctx: EndpointContext;
  readonly #endpoints = new Set<UdpMediaEndpoint>();
  readonly #bridges = new Set<MediaBridge>();
  readonly #players = new Set<UdpMediaPlayer>();
  /** RTP ports reserved, including binds in flight, so concurrent allocate() calls never race for one port. */
  readonly #reserved = new Set<number>();
  readonly #closing = new Set<Promise<void>>();
  /** G.711 renderings of sources already played (music on hold is played to many legs). */
  readonly #encoded = new WeakMap<Int16Array, Partial<Record<TranscodableEncoding, Uint8Array>>>();
  readonly #first: number;
  readonly #last: number;
  #cursor: number;
  #boundPorts = 0;
  #closed = false;

  constructor(o: MediaEngineOptions) {
    this.#o = o;
    this.#log = o.log ?? (() => {});
    // RFC 3550 section 11: RTP on an even port, RTCP on the next odd one.
    this.#first = o.portMin + (o.portMin % 2);
    this.#last = o.portMax - 1; // highest RTP port whose RTCP port (+1) is still in range
    if (!(o.portMin > 0 && o.portMax <= 65535 && this.#first <= this.#last)) {
      throw new MediaError('BAD_RANGE', `media port range ${o.portMin}-${o.portMax} holds no even/odd pair`);
    }
    this.#cursor = this.#first;
    this.#ctx = {
      clock: o.clock,
      log: this.#log,
      inactivityTimeoutMs: o.inactivityTimeoutMs ?? 60_000,
      relatchAfterMs: o.relatchAfterMs ?? 2_000,
      released: (ep, socketsClosed) => this.#released(ep, socketsClosed),
    };
  }

  async allocate(label: string): Promise<MediaEndpoint> {
    if (this.#closed) throw new MediaError('ENGINE_CLOSED', 'media engine is closed');
    const pairs = (this.#last - this.#first) / 2 + 1;
    for (let i = 0; i < pairs; i++) {
      const port = this.#cursor;
      // Rotate instead of reusing the lowest free port: late packets of an ended call then rarely reach a new one.
      this.#cursor = port + 2 > this.#last ? this.#first : port + 2;
      if (this.#reserved.has(port)) continue;
      this.#reserved.add(port);
      const pair = await this.#bindPair(port);
      if (!pair) {
        this.#reserved.delete(port);
        continue;
      }
      if (this.#closed) {
        this.#reserved.delete(port);
        await Promise.all([closeQuietly(pair[0]), closeQuietly(pair[1])]);
        throw new MediaError('ENGINE_CLOSED', 'media engine is closed');
      }
      this.#boundPorts += 2;
      const address = this.#o.advertisedAddress ?? this.#o.address;
      const ep = new UdpMediaEndpoint(
        label,
        { address, rtpPort: port, rtcpPort: port + 1 },
        pair[0],
        pair[1],
        this.#ctx,
      );
      this.#endpoints.add(ep);
      this.#log('debug', 'media endpoint allocated', { label, rtpPort: port });
      return ep;
    }
    this.#log('warn', 'media ports exhausted', { label, portMin: this.#o.portMin, portMax: this.#o.portMax });
    throw new MediaError(
      'PORTS_EXHAUSTED',
      `no free RTP/RTCP port pair in ${this.#o.portMin}-${this.#o.portMax}`,
    );
  }

  bridge(a: MediaEndpoint, b: MediaEndpoint): MediaBridge {
    const x = this.#own(a);
    const y = this.#own(b);
    if (x === y) throw new MediaError('FOREIGN_ENDPOINT', 'cannot bridge an endpoint to itself');
    if (x.closed || y.closed) throw new MediaError('ENDPOINT_CLOSED', 'cannot bridge a closed endpoint');
    let open = true;
    const bridge: MediaBridge = {
      close: () => {
        if (!open) return;
        open = false;
        this.#bridges.delete(bridge);
        if (x.peer === y) x.attachPeer(undefined, undefined);
        if (y.peer === x) y.attachPeer(undefined, undefined);
      },
    };
    // An endpoint belongs to one bridge at a time (a transfer re-bridges a leg): close any old pairing first.
    for (const old of [...this.#bridgesOf(x), ...this.#bridgesOf(y)]) old.close();
    x.attachPeer(y, bridge.close);
    y.attachPeer(x, bridge.close);
    this.#bridges.add(bridge);
    this.#bridgeEnds.set(bridge, [x, y]);
    return bridge;
  }

  readonly #bridgeEnds = new WeakMap<MediaBridge, [UdpMediaEndpoint, UdpMediaEndpoint]>();

  #bridgesOf(ep: UdpMediaEndpoint): MediaBridge[] {
    const out: MediaBridge[] = [];
    for (const b of this.#bridges) {
      const ends = this.#bridgeEnds.get(b);
      if (ends && (ends[0] === ep || ends[1] === ep)) out.push(b);
    }
    return out;
  }

  play(to: MediaEndpoint, source: AudioSource, o: { loop?: boolean } = {}): MediaPlayer {
    const ep = this.#own(to);
    if (ep.closed) throw new MediaError('ENDPOINT_CLOSED', 'cannot play into a closed endpoint');
    const codec = ep.codec ?? { payloadType: 0, encoding: 'PCMU' as const };
    const encoding = transcodableEncoding(codec.encoding);
    if (encoding === undefined) {
      throw new MediaError('CODEC_UNSUPPORTED', `cannot play ${codec.encoding}: re-negotiate the leg first`);
    }
    let cache = this.#encoded.get(source.samples);
    if (!cache) this.#encoded.set(source.samples, (cache = {}));
    // Whole 20 ms frames, so the player never pads (the silence value is only a fallback).
    const encoded = (cache[encoding] ??= encodeForPlayback(encoding, source.samples)!);
    const player = new UdpMediaPlayer({
      endpoint: ep,
      encoded,
      silence: SILENCE[encoding],
      payloadType: codec.payloadType,
      loop: o.loop ?? false,
      clock: this.#o.clock,
      log: this.#log,
      finished: (p) => {
        this.#players.delete(p);
        if (ep.player === p) ep.attachPlayer(undefined);
      },
    });
    ep.attachPlayer(player)?.stop();
    this.#players.add(player);
    player.start();
    return player;
  }

  record(from: MediaEndpoint, o: { maxMs: number }): MediaRecorder {
    const ep = this.#own(from);
    if (ep.closed) throw new MediaError('ENDPOINT_CLOSED', 'cannot record a closed endpoint');
    const r = new RtpRecorder({
      encoding: ep.codec?.encoding ?? 'PCMU',
      maxMs: o.maxMs,
      finished: (x) => {
        if (ep.recorder === x) ep.attachRecorder(undefined);
      },
    });
    ep.attachRecorder(r)?.stop();
    return r;
  }

  sendDtmf(to: MediaEndpoint, digits: string): Promise<void> {
    const ep = this.#own(to);
    if (ep.closed) throw new MediaError('ENDPOINT_CLOSED', 'cannot send DTMF into a closed endpoint');
    const pt = ep.codec?.telephoneEventPt;
    if (pt === undefined) throw new MediaError('CODEC_UNSUPPORTED', 'the leg negotiated no telephone-event');
    const sender = new DtmfSender(ep, this.#o.clock, pt, digits);
    // Counted as a player while it runs, so the leak checks see one left behind.
    this.#senders.add(sender);
    void sender.done.then(() => this.#senders.delete(sender));
    sender.start();
    return sender.done;
  }

  readonly #senders = new Set<DtmfSender>();

  counts(): { endpoints: number; bridges: number; players: number; boundPorts: number } {
    return {
      endpoints: this.#endpoints.size,
      bridges: this.#bridges.size,
      players: this.#players.size + this.#senders.size,
      boundPorts: this.#boundPorts,
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const p of [...this.#players]) p.stop();
    for (const d of [...this.#senders]) d.stop();
    for (const b of [...this.#bridges]) b.close();
    for (const ep of [...this.#endpoints]) ep.close();
    await Promise.all([...this.#closing]);
  }

  #own(ep: MediaEndpoint): UdpMediaEndpoint {
    if (!(ep instanceof UdpMediaEndpoint) || !this.#endpoints.has(ep)) {
      if (ep instanceof UdpMediaEndpoint && ep.closed) {
        throw new MediaError('ENDPOINT_CLOSED', `media endpoint ${ep.label} is closed`);
      }
      throw new MediaError('FOREIGN_ENDPOINT', 'endpoint was not allocated by this media engine');
    }
    return ep;
  }

  #released(ep: UdpMediaEndpoint, socketsClosed: Promise<void>): void {
    if (!this.#endpoints.delete(ep)) return;
    this.#boundPorts -= 2;
    this.#reserved.delete(ep.local.rtpPort);
    this.#closing.add(socketsClosed);
    void socketsClosed.then(() => this.#closing.delete(socketsClosed));
  }

  /** Binds RTP and RTCP; undefined when either port is taken by someone else (EADDRINUSE, EACCES). */
  async #bindPair(port: number): Promise<[Socket, Socket] | undefined> {
    const rtp = await this.#bind(port);
    if (!rtp) return undefined;
    const rtcp = await this.#bind(port + 1);
    if (!rtcp) {
      await closeQuietly(rtp);
      return undefined;
    }
    return [rtp, rtcp];
  }

  #bind(port: number): Promise<Socket | undefined> {
    const address = this.#o.address;
    return new Promise((resolve, reject) => {
      const s = createSocket({ type: isIPv6(address) ? 'udp6' : 'udp4', lookup: literalLookup });
      const onError = (err: NodeJS.ErrnoException): void => {
        void closeQuietly(s);
        if (err.code === 'EADDRINUSE' || err.code === 'EACCES') resolve(undefined);
        else reject(err);
      };
      s.once('error', onError);
      s.bind({ port, address, exclusive: true }, () => {
        s.off('error', onError);
        resolve(s);
      });
    });
  }
}

function closeQuietly(s: Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      s.close(() => resolve());
    } catch {
      resolve();
    }
  });
}

/** The media engine the server runs: in-process UDP, on this thread or spread over worker threads. */
export function createMediaEngine(options: MediaEngineOptions): MediaEngine {
  const workers = options.workers ?? 0;
  return workers > 0 ? new WorkerMediaEngine({ ...options, workers }) : new UdpMediaEngine(options);
}
