import { RTCDtlsTransport } from 'werift';
import type { MediaAddress, MediaLog } from '../media-engine.js';
import { GatewayError, type MediaGateway, type SdpSide } from './media-gateway.js';
import { WeriftLeg } from './werift-leg.js';

export interface WeriftGatewayOptions {
  /** The address browsers reach the gateway on (the ICE host candidate): the PBX's media address. */
  address: string;
  /** Where the plain sockets bind; default 127.0.0.1 (the relay runs in the same process). */
  plainAddress?: string;
  /** Ports of the ICE sockets; default: ephemeral ports. */
  icePortRange?: [number, number];
  log?: MediaLog;
}

/**
 * The embedded gateway (docs/webrtc.md): werift in this process, one peer connection per WebRTC leg. Each leg is
 * created by its first offer, whichever side wrote it.
 */
export class WeriftGateway implements MediaGateway {
  readonly #o: WeriftGatewayOptions;
  readonly #log: MediaLog;
  readonly #legs = new Map<string, WeriftLeg>();
  /** Legs whose first offer is still being set up: a second call for the same leg waits for it. */
  readonly #opening = new Map<string, Promise<WeriftLeg>>();
  #closed = false;

  constructor(o: WeriftGatewayOptions) {
    this.#o = o;
    this.#log = o.log ?? (() => undefined);
    // werift makes one DTLS certificate per process, on the first leg; made now, the first call does not wait.
    RTCDtlsTransport.SetupCertificate().catch((err: unknown) =>
      this.#log('warn', 'webrtc certificate failed', { err: String(err) }),
    );
  }

  async offer(leg: string, sdp: string, from: SdpSide): Promise<string> {
    const l = this.#legs.get(leg) ?? (await this.#open(leg));
    return l.offer(sdp, from);
  }

  async answer(leg: string, sdp: string, from: SdpSide): Promise<string> {
    const l = this.#legs.get(leg);
    if (!l) throw new GatewayError('NO_OFFER', `no gateway leg ${leg}`);
    return l.answer(sdp, from);
  }

  delete(leg: string): void {
    const l = this.#legs.get(leg);
    if (!l) return;
    this.#legs.delete(leg);
    l.close();
    this.#log('info', 'webrtc leg freed', { leg, ...l.stats });
  }

  has(leg: string): boolean {
    return this.#legs.has(leg);
  }

  plainAddress(leg: string): MediaAddress | undefined {
    return this.#legs.get(leg)?.plainAddress;
  }

  counts(): { legs: number } {
    return { legs: this.#legs.size };
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const id of [...this.#legs.keys()]) this.delete(id);
    await Promise.resolve();
  }

  async #open(leg: string): Promise<WeriftLeg> {
    if (this.#closed) throw new GatewayError('GATEWAY_CLOSED', 'the gateway is closed');
    const pending = this.#opening.get(leg);
    if (pending) return pending;
    const l = new WeriftLeg({
      iceAddress: this.#o.address,
      plainAddress: this.#o.plainAddress ?? '127.0.0.1',
      icePortRange: this.#o.icePortRange,
      log: this.#log,
      label: leg,
    });
    const p = l.open().then(() => {
      this.#legs.set(leg, l);
      return l;
    });
    this.#opening.set(leg, p);
    try {
      return await p;
    } finally {
      this.#opening.delete(leg);
    }
  }
}
