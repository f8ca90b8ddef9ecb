/** Test fixture for the call model's unit tests: media as bookkeeping, no sockets. */
import {
  MediaError,
  canPlayCodec,
  type AudioSource,
  type MediaBridge,
  type MediaCodec,
  type MediaEndpoint,
  type MediaEngine,
  type MediaPlayer,
  type MediaRecorder,
} from '../../media/index.js';

/** Media as bookkeeping: which endpoints are open, what plays where, which pairs are bridged. */
export class FakeMedia implements MediaEngine {
  open = new Set<string>();
  playing = new Map<string, AudioSource>();
  bridges = 0;
  /** DTMF sent: [endpoint label, digits]. */
  dtmf: Array<[string, string]> = [];
  /** Every endpoint something was played to, in order. */
  played: string[] = [];
  #port = 40000;
  async allocate(label: string): Promise<MediaEndpoint> {
    const port = (this.#port += 2);
    const open = this.open;
    open.add(label);
    let codec: MediaCodec | undefined;
    const ep: MediaEndpoint = {
      label,
      local: { address: '10.0.0.2', rtpPort: port, rtcpPort: port + 1 },
      latched: false,
      sendingTo: undefined,
      get codec() {
        return codec;
      },
      setRemote: () => undefined,
      setCodec: (c) => void (codec = { ...c }),
      onDtmf: () => undefined,
      onInactive: () => undefined,
      setInactivityTimeout: () => undefined,
      stats: () => ({ packetsIn: 0, packetsOut: 0, bytesIn: 0, lastPacketAt: undefined, packetsDropped: 0 }),
      get closed() {
        return !open.has(label);
      },
      close: () => {
        open.delete(label);
        this.playing.delete(label);
      },
    };
    return ep;
  }
  bridge(): MediaBridge {
    this.bridges++;
    return { close: () => void this.bridges-- };
  }
  play(to: MediaEndpoint, source: AudioSource): MediaPlayer {
    // As the real engine: the player encodes G.711 and G.722 only.
    if (!canPlayCodec(to.codec))
      throw new MediaError('CODEC_UNSUPPORTED', `cannot play ${to.codec?.encoding}`);
    this.playing.set(to.label, source);
    this.played.push(to.label);
    return {
      stop: () => {
        if (this.playing.get(to.label) === source) this.playing.delete(to.label);
      },
      onEnded: () => undefined,
    };
  }
  /** Records nothing (no packets here): an empty recording. */
  record(): MediaRecorder {
    return {
      durationMs: 0,
      onLimit: () => undefined,
      stop: () => ({ samples: new Int16Array(0), packets: 0, lost: 0 }),
    };
  }
  async sendDtmf(to: MediaEndpoint, digits: string): Promise<void> {
    if (to.codec?.telephoneEventPt === undefined)
      throw new MediaError('CODEC_UNSUPPORTED', 'the leg negotiated no telephone-event');
    this.dtmf.push([to.label, digits]);
  }
  counts() {
    return { endpoints: this.open.size, bridges: this.bridges, players: this.playing.size, boundPorts: 0 };
  }
  async close(): Promise<void> {}
}
