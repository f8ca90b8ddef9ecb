import type {
  MediaAddress,
  MediaCodec,
  MediaEndpoint,
  MediaEndpointStats,
  MediaLog,
  SrtpLegKeys,
} from '../media-engine.js';
import { isSendableMediaAddress } from '../net/address.js';
import type { StatsRow, ToWorker } from './worker-protocol.js';

/** What a main-thread endpoint needs from its engine: the worker its sockets live in, and its bookkeeping. */
export interface EndpointHost {
  readonly worker: number;
  send(m: ToWorker): void;
  log: MediaLog;
  /** The endpoint closed (once): the engine drops its bridge, player and recorder. */
  closed(ep: WorkerEndpoint): void;
  /** The leg's codec changed: a bridge through another worker passes it on. */
  codecChanged(ep: WorkerEndpoint): void;
}

/**
 * A leg whose sockets live in a media worker: the main thread's face of it. Commands go to the worker in order;
 * what the worker learns (counters, latching, DTMF, silence) comes back as messages, so `stats()`, `latched`
 * and `sendingTo` show the worker's state as of its last report (at most statsIntervalMs old).
 */
export class WorkerEndpoint implements MediaEndpoint {
  readonly label: string;
  readonly local: { address: string; rtpPort: number; rtcpPort: number };
  /** @internal The number the worker knows this endpoint by. */
  readonly id: number;
  readonly #host: EndpointHost;
  #closed = false;
  #codec: MediaCodec | undefined;
  #latched = false;
  #sendingTo: MediaAddress | undefined;
  #sdp: string | undefined;
  #stats: MediaEndpointStats = {
    packetsIn: 0,
    packetsOut: 0,
    bytesIn: 0,
    lastPacketAt: undefined,
    packetsDropped: 0,
    packetsNotForwarded: 0,
  };
  #dtmfListeners: Array<(digit: string, durationMs: number) => void> = [];
  #inactiveListeners: Array<() => void> = [];

  constructor(
    label: string,
    id: number,
    local: { address: string; rtpPort: number; rtcpPort: number },
    host: EndpointHost,
  ) {
    this.label = label;
    this.id = id;
    this.local = Object.freeze({ ...local });
    this.#host = host;
  }

  /** @internal */
  get worker(): number {
    return this.#host.worker;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get latched(): boolean {
    return this.#latched;
  }

  get sendingTo(): MediaAddress | undefined {
    return this.#sendingTo === undefined ? undefined : { ...this.#sendingTo };
  }

  get codec(): MediaCodec | undefined {
    return this.#codec;
  }

  setRemote(rtp: MediaAddress, rtcp?: MediaAddress): void {
    if (this.#closed) return;
    const sdp = `${rtp.address}|${rtp.port}|${rtcp?.address}|${rtcp?.port}`;
    // The same SDP again (session refresh) keeps the latch, as the worker's endpoint does.
    if (sdp === this.#sdp) return;
    this.#sdp = sdp;
    this.#latched = false;
    this.#sendingTo = isSendableMediaAddress(rtp.address, rtp.port)
      ? { address: rtp.address, port: rtp.port }
      : undefined;
    this.#host.send({
      op: 'remote',
      ep: this.id,
      rtp: { address: rtp.address, port: rtp.port },
      rtcp: rtcp === undefined ? undefined : { address: rtcp.address, port: rtcp.port },
    });
  }

  setCodec(c: MediaCodec): void {
    this.#codec = { ...c };
    if (this.#closed) return;
    this.#host.send({ op: 'codec', ep: this.id, codec: { ...c } });
    this.#host.codecChanged(this);
  }

  onDtmf(cb: (digit: string, durationMs: number) => void): void {
    this.#dtmfListeners.push(cb);
    if (this.#dtmfListeners.length === 1 && !this.#closed) this.#host.send({ op: 'listenDtmf', ep: this.id });
  }

  onInactive(cb: () => void): void {
    this.#inactiveListeners.push(cb);
    if (this.#inactiveListeners.length === 1 && !this.#closed)
      this.#host.send({ op: 'listenInactive', ep: this.id });
  }

  setSrtp(keys: SrtpLegKeys | undefined): void {
    if (this.#closed) return;
    this.#host.send({ op: 'srtp', ep: this.id, keys: keys && { local: keys.local, remote: keys.remote } });
  }

  setInactivityTimeout(ms: number): void {
    if (this.#closed) return;
    this.#host.send({ op: 'inactivity', ep: this.id, ms });
  }

  stats(): MediaEndpointStats {
    return { ...this.#stats };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#host.closed(this);
    this.#host.send({ op: 'closeEndpoint', ep: this.id });
  }

  // ---- from the worker ----

  /** @internal */
  applyStats(r: StatsRow): void {
    this.#stats = {
      packetsIn: r[1],
      packetsOut: r[2],
      bytesIn: r[3],
      lastPacketAt: r[4] < 0 ? undefined : r[4],
      packetsDropped: r[5],
      packetsNotForwarded: r[6],
    };
    this.#latched = r[7];
    this.#sendingTo = r[8] === undefined ? undefined : { address: r[8], port: r[9] };
  }

  /** @internal */
  fireDtmf(digit: string, ms: number): void {
    for (const l of this.#dtmfListeners) this.#safely(() => l(digit, ms), 'dtmf listener');
  }

  /** @internal Also used when the worker holding the sockets died: the call layer then ends the call. */
  fireInactive(): void {
    if (this.#closed) return;
    for (const l of [...this.#inactiveListeners]) this.#safely(l, 'inactive listener');
  }

  #safely(fn: () => void, what: string): void {
    try {
      fn();
    } catch (err) {
      this.#host.log('error', `${what} threw`, { label: this.label, err: (err as Error).message });
    }
  }
}
